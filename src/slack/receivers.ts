/**
 * Transport selection. Socket Mode and HTTP are Bolt receivers behind Bolt's one `Receiver` interface, so the
 * listeners in handlers.ts never know how a request arrived.
 *
 * HTTP mode wraps Bolt's HTTPReceiver in a small server of our own that refuses, before Bolt sees them:
 * anything but the configured endpoint (plus `GET /healthz`); requests without signature headers or with a
 * timestamp more than 5 minutes off (both without reading the body); bodies over 1 MB (counted while reading,
 * chunked or not, so an unauthenticated sender cannot make the bot buffer 50 MB); bad v0 signatures; and
 * signed bodies Bolt could not parse (400, not Bolt's 500). Bolt then verifies the signature again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';
import type { AddressInfo } from 'node:net';
import { HTTPReceiver, SocketModeReceiver, type App, type Receiver } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/bolt';
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';

// Mode resolution lives in mode.ts, which loads no Slack library: the console can ask "is Slack on?" for free.
export { SlackConfigError, resolveSlack, slackMode, type ResolvedSlack, type SlackMode } from './mode';
import type { SlackMode } from './mode';

export const EVENTS_PATH = '/slack/events';
export const HEALTH_PATH = '/healthz';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_SKEW_SECONDS = 5 * 60;

export interface GuardedHttpReceiverOptions {
  signingSecret: string;
  port: number;
  host?: string;
  logger: BoltLogger;
  /** Called for every request refused before Bolt (for tests and metrics). */
  onRefused?: (reason: string) => void;
  /** Clock, for tests. */
  now?: () => number;
  /** Other endpoints served on the same port (`/alertmanager`); each does its own authentication. */
  extraRoutes?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
}

/** Bolt's HTTPReceiver behind a guard that also refuses future timestamps. */
export class GuardedHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private server: http.Server | undefined;

  constructor(private readonly opts: GuardedHttpReceiverOptions) {
    this.inner = new HTTPReceiver({
      signingSecret: opts.signingSecret,
      endpoints: EVENTS_PATH,
      logger: opts.logger,
      // Ack first, work after: the HTTP response goes out as soon as a listener calls ack().
      processBeforeResponse: false,
    });
  }

  init(app: App): void {
    this.inner.init(app);
  }

  /** The bound port (useful with port 0). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  async start(): Promise<http.Server> {
    if (this.server) throw new Error('receiver already started');
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 65000;
    // A sender trickling a body (or headers) byte by byte is cut off: Slack sends a request in well under this.
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private refuse(res: http.ServerResponse, status: number, reason: string): void {
    this.opts.onRefused?.(reason);
    this.opts.logger.warn(`refused a Slack request: ${reason}`);
    res.writeHead(status);
    res.end();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === HEALTH_PATH) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    const extra = path !== undefined ? this.opts.extraRoutes?.[path] : undefined;
    if (extra) return extra(req, res);
    if (path !== EVENTS_PATH) return this.refuse(res, 404, `unknown path ${path}`);
    if (req.method !== 'POST') return this.refuse(res, 405, `method ${req.method ?? '?'}`);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) return this.refuseUnread(req, res, 413, 'body too large');
    const tsHeader = req.headers['x-slack-request-timestamp'];
    const sigHeader = req.headers['x-slack-signature'];
    // Everything Slack signs carries both headers: without them nothing can be verified, so the body is not read.
    if (typeof tsHeader !== 'string' || typeof sigHeader !== 'string') return this.refuseUnread(req, res, 401, 'missing signature headers');
    const ts = Number(tsHeader);
    const nowSec = Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
    if (!Number.isFinite(ts)) return this.refuseUnread(req, res, 401, 'timestamp is not a number');
    if (ts > nowSec + MAX_SKEW_SECONDS) return this.refuseUnread(req, res, 401, 'timestamp more than 5 minutes in the future');
    if (ts < nowSec - MAX_SKEW_SECONDS) return this.refuseUnread(req, res, 401, 'timestamp more than 5 minutes old');
    void readBounded(req, MAX_BODY_BYTES).then((body) => {
      if (body === 'too-large') return this.refuseUnread(req, res, 413, 'body too large');
      if (body === 'aborted') return;
      if (!validSignature(this.opts.signingSecret, tsHeader, body, sigHeader)) return this.refuse(res, 401, 'bad signature');
      if (!parsesAsSlackBody(String(req.headers['content-type'] ?? ''), body)) return this.refuse(res, 400, 'malformed body');
      // Bolt reads `rawBody` when it is already there instead of the (consumed) stream, and verifies again.
      (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      try {
        this.inner.requestListener(req, res);
      } catch (err) {
        this.opts.logger.error(`HTTP receiver error: ${(err as Error).message}`);
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      }
    });
  }

  /** Answers without reading the body, and closes the connection so the sender cannot keep streaming into it. */
  private refuseUnread(req: http.IncomingMessage, res: http.ServerResponse, status: number, reason: string): void {
    res.setHeader('connection', 'close');
    this.refuse(res, status, reason);
    res.once('finish', () => req.destroy());
  }
}

/** Reads a request body, giving up (without keeping what came) as soon as it exceeds `max` bytes. */
function readBounded(req: http.IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.off('data', onData);
        chunks.length = 0;
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', () => resolve('aborted'));
    req.once('aborted', () => resolve('aborted'));
  });
}

/** Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, compared in constant time. */
function validSignature(secret: string, timestamp: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether Bolt can parse the body (else it would answer 500): JSON, or a form whose `payload` is JSON. */
function parsesAsSlackBody(contentType: string, body: Buffer): boolean {
  const text = body.toString('utf8');
  try {
    if (contentType.includes('application/x-www-form-urlencoded')) {
      const payload = querystring.parse(text).payload;
      if (payload === undefined) return true;
      const v = JSON.parse(String(payload)) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    }
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export function socketModeReceiver(opts: { appToken: string; apiUrl?: string; logger: BoltLogger }): SocketModeReceiver {
  return new SocketModeReceiver({
    appToken: opts.appToken,
    logger: opts.logger,
    // apps.connections.open goes to the same API base as everything else (the local stand-in in tests).
    installerOptions: { clientOptions: { ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}), retryConfig: { retries: 5, factor: 1.6 } } },
  });
}
