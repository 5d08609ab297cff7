/**
 * Deliver what Slack would deliver to the bot, over either transport:
 *
 * - HTTP: exactly as Slack sends it — slash commands form-encoded, interactivity as `payload=<json>`,
 *   events as JSON — signed with `X-Slack-Signature: v0=HMAC-SHA256("v0:{ts}:{body}")` and
 *   `X-Slack-Request-Timestamp`, retries marked with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`.
 * - Socket Mode: envelopes pushed by the stand-in over its WebSocket; the ack is awaited there.
 *
 * Both report the ack latency: HTTP from the request's first byte to the response; Socket Mode from the
 * envelope's send to the ack's arrival (measured by the stand-in).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';
import type { SlackStandIn, SlashPayload } from './slack-api';

export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedOptions {
  secret: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Override the computed signature (bad-signature tests). */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** From the call to the end of the response (includes this client's own connection set-up and queueing). */
  ms: number;
  /** From the request being fully written to the socket to the status line arriving: the server's ack time. */
  ackMs: number;
}

/** One POST with a raw body, through a fresh connection (no pooling skew in latency numbers). */
export function postRaw(url: string, body: string, headers: Record<string, string>, agent?: http.Agent): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let sent = started;
    let answered = started;
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        answered = process.hrtime.bigint();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            ackMs: Number(answered - sent) / 1e6,
          }),
        );
      },
    );
    req.on('finish', () => (sent = process.hrtime.bigint()));
    req.on('error', reject);
    req.end(body);
  });
}

export function signedHeaders(body: string, contentType: string, opts: SignedOptions): Record<string, string> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': opts.signature ?? slackSignature(opts.secret, ts, body),
    ...(opts.retryNum !== undefined ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': opts.retryReason ?? 'http_timeout' } : {}),
  };
}

export const FORM = 'application/x-www-form-urlencoded';

export function postSlashCommand(url: string, cmd: SlashPayload, opts: SignedOptions, agent?: http.Agent): Promise<HttpAnswer> {
  const body = querystring.stringify(cmd);
  return postRaw(url, body, signedHeaders(body, FORM, opts), agent);
}

export function postInteraction(url: string, payload: object, opts: SignedOptions): Promise<HttpAnswer> {
  const body = querystring.stringify({ payload: JSON.stringify(payload) });
  return postRaw(url, body, signedHeaders(body, FORM, opts));
}

export function postEvent(url: string, event: object, opts: SignedOptions): Promise<HttpAnswer> {
  const body = JSON.stringify(event);
  return postRaw(url, body, signedHeaders(body, 'application/json', opts));
}

export interface Delivery {
  ackMs: number;
  /** HTTP status (Socket Mode: 200 when acked). */
  status: number;
  /** What the ack carried: the HTTP response body parsed as JSON (undefined when empty), or the Socket Mode ack payload. */
  body?: unknown;
}

function jsonBody(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The same three deliveries over either transport, so one e2e test body covers both. */
export interface SlackDriver {
  readonly transport: 'http' | 'socket';
  command(cmd: SlashPayload, opts?: { retryNum?: number }): Promise<Delivery>;
  action(payload: Record<string, unknown>): Promise<Delivery>;
  event(body: Record<string, unknown>, opts?: { retryNum?: number }): Promise<Delivery>;
}

export function httpDriver(standIn: SlackStandIn, botUrl: string, secret: string): SlackDriver {
  return {
    transport: 'http',
    async command(cmd, opts = {}) {
      const r = await postSlashCommand(botUrl, cmd, { secret, ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum } : {}) });
      if (r.status === 200) standIn.acceptCommandAck(cmd, r.body);
      return { ackMs: r.ms, status: r.status };
    },
    async action(payload) {
      const r = await postInteraction(botUrl, payload, { secret });
      return { ackMs: r.ms, status: r.status, body: jsonBody(r.body) };
    },
    async event(body, opts = {}) {
      const r = await postEvent(botUrl, body, { secret, ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum } : {}) });
      return { ackMs: r.ms, status: r.status };
    },
  };
}

export function socketDriver(standIn: SlackStandIn): SlackDriver {
  return {
    transport: 'socket',
    async command(cmd) {
      // Slack does not retry slash commands over Socket Mode; a redelivery is the same payload pushed again.
      const a = await standIn.push('slash_commands', cmd);
      return { ackMs: a.latencyMs, status: 200 };
    },
    async action(payload) {
      const a = await standIn.push('interactive', payload);
      return { ackMs: a.latencyMs, status: 200, ...(a.payload !== undefined ? { body: a.payload } : {}) };
    },
    async event(body, opts = {}) {
      const a = await standIn.push('events_api', body, opts.retryNum ? { retryAttempt: opts.retryNum, retryReason: 'timeout' } : {});
      return { ackMs: a.latencyMs, status: 200 };
    },
  };
}
