/**
 * Alertmanager webhook intake (`POST /alertmanager`, webhook payload version 4): teams that already run
 * Alertmanager get the same incident cards and buttons. Each alert becomes an AlertState of origin
 * `alertmanager`, grouped by Alertmanager's own groupKey (one card per Alertmanager group).
 *
 * Authentication is required: `Authorization: Bearer <token>` (Alertmanager's `http_config.authorization`),
 * basic auth with the token as password, or `?secret=<token>`; compared in constant time. Anything else → 401,
 * and nothing is read beyond the headers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { fingerprint } from './fingerprint';
import { newState } from './state-machine';
import type { AlertState, Severity } from './types';

const MAX_BODY = 1024 * 1024;

const amAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const amPayload = z.object({
  version: z.string().optional(),
  groupKey: z.string().default(''),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: z.record(z.string(), z.string()).default({}),
  commonLabels: z.record(z.string(), z.string()).default({}),
  commonAnnotations: z.record(z.string(), z.string()).default({}),
  externalURL: z.string().optional(),
  alerts: z.array(amAlert).max(1000),
});

export type AlertmanagerPayload = z.output<typeof amPayload>;

function severityOf(labels: Record<string, string>): Severity {
  const s = (labels.severity ?? '').toLowerCase();
  if (s === 'critical' || s === 'page' || s === 'error') return 'critical';
  if (s === 'info' || s === 'none') return 'info';
  return 'warning';
}

const time = (s: string | undefined): number | undefined => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) && t > 0 ? t : undefined;
};

/** The payload's alerts as alert states of `env` (not yet merged with what the store holds). */
export function alertsFromPayload(p: AlertmanagerPayload, env: string, now: number): AlertState[] {
  const groupKey = createHash('sha256').update(p.groupKey || JSON.stringify(p.groupLabels)).digest('hex').slice(0, 12);
  return p.alerts.map((a) => {
    const name = a.labels.alertname ?? 'AlertmanagerAlert';
    const labels = { ...a.labels, alertname: name, __group_key: groupKey };
    const fp = fingerprint(env, `am:${name}`, a.labels);
    const base = newState({ fingerprint: fp, rule: name, env, origin: 'alertmanager', labels, annotations: a.annotations, severity: severityOf(a.labels) }, now);
    const firedAt = time(a.startsAt) ?? now;
    return {
      ...base,
      phase: a.status,
      firedAt,
      activeSince: firedAt,
      ...(a.status === 'resolved' ? { resolvedAt: time(a.endsAt) ?? now } : { lastActiveAt: now }),
      ...(a.generatorURL ? { generatorUrl: a.generatorURL } : {}),
      summary: a.annotations.summary ?? a.annotations.description ?? name,
    };
  });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether the request carries the shared token (Bearer, basic-auth password, or `?secret=`). */
export function authorized(req: http.IncomingMessage, token: string): boolean {
  const want = digest(token);
  const candidates: string[] = [];
  const auth = String(req.headers.authorization ?? '');
  if (/^bearer /i.test(auth)) candidates.push(auth.slice(7).trim());
  if (/^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    candidates.push(decoded.slice(decoded.indexOf(':') + 1));
  }
  const secret = new URL(req.url ?? '/', 'http://x').searchParams.get('secret');
  if (secret) candidates.push(secret);
  return candidates.some((c) => timingSafeEqual(digest(c), want));
}

export interface AlertmanagerIntake {
  token: string;
  env: string;
  receive(env: string, alerts: AlertState[]): Promise<number>;
  log?: { warn(msg: string): void };
}

/** A node http handler for `POST /alertmanager`: 401 without the token, 400 on a bad payload, 200 once delivered. */
export function alertmanagerHandler(intake: AlertmanagerIntake): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const reply = (res: http.ServerResponse, status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return (req, res) => {
    if (req.method !== 'POST') return reply(res, 405, { status: 'error', error: 'POST only' });
    if (!authorized(req, intake.token)) {
      intake.log?.warn('refused an Alertmanager webhook without the shared token');
      req.resume();
      return reply(res, 401, { status: 'error', error: 'unauthorized' });
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
      req.resume();
      return reply(res, 413, { status: 'error', error: 'payload too large' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return reply(res, 413, { status: 'error', error: 'payload too large' });
      let parsed: AlertmanagerPayload;
      try {
        const r = amPayload.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        if (!r.success) {
          const i = r.error.issues[0];
          return reply(res, 400, { status: 'error', error: `${i?.path.join('.') || 'payload'}: ${i?.message ?? 'invalid'}` });
        }
        parsed = r.data;
      } catch {
        return reply(res, 400, { status: 'error', error: 'body is not JSON' });
      }
      intake
        .receive(intake.env, alertsFromPayload(parsed, intake.env, Date.now()))
        .then((n) => reply(res, 200, { status: 'success', alerts: n }))
        .catch((err: Error) => {
          intake.log?.warn(`Alertmanager webhook not delivered: ${err.message}`);
          // 5xx: Alertmanager retries.
          reply(res, 503, { status: 'error', error: 'not delivered, retry' });
        });
    });
  };
}

/** A small listener of its own (Socket Mode / console mode, where there is no HTTP receiver to share). */
export async function startAlertmanagerListener(intake: AlertmanagerIntake, opts: { port: number; host: string }): Promise<{ port: number; stop(): Promise<void> }> {
  const handler = alertmanagerHandler(intake);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/alertmanager') return handler(req, res);
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
