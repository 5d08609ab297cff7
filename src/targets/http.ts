/**
 * A thin HTTP client for the probes. Redirects are never followed (a 3xx *is* the finding: the SSL-redirect
 * incident, §9.1), every request is bounded by its own timeout *and* the caller's abort signal, and transport
 * failures come back as values, never as throws, so a check can turn them into a finding.
 */
import type { IncomingMessage } from 'node:http';
import http from 'node:http';
import { redact } from '../telemetry/redact';

export type HttpErrorKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'other';

/** The response headers, read as fetch's `Headers` reads them (names case-insensitive, repeats joined by ", "). */
export interface ResponseHeaders {
  get(name: string): string | null;
  getSetCookie(): string[];
}

export interface HttpResponseResult {
  kind: 'response';
  url: string;
  status: number;
  headers: ResponseHeaders;
  body: string;
  latencyMs: number;
}

export interface HttpErrorResult {
  kind: 'error';
  url: string;
  error: HttpErrorKind;
  /** Short reason (error code or message), never a header or body. */
  message: string;
  latencyMs: number;
}

export type HttpResult = HttpResponseResult | HttpErrorResult;

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Largest body kept, in characters (metrics pages are ~100 KB). */
  maxBodyChars?: number;
}

export interface HttpTargetOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Adds `X-Forwarded-Proto` to every request (probing behind a TLS-terminating proxy). */
  forwardedProto?: string;
  userAgent?: string;
}

export class HttpTarget {
  constructor(private readonly opts: HttpTargetOptions) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  /** Absolute URL of `path` on the base URL (keeps the base's own path prefix, if any). */
  url(path: string): string {
    return joinUrl(this.opts.baseUrl, path);
  }

  /**
   * One request on node:http, not fetch: in Node 20 the first `fetch` loads and initialises undici (40–120 ms of
   * CPU), more than the whole probe costs — and a one-shot CLI pays it on every run. No connection is reused
   * (`agent: false`): each probe measures the stack, not a pooled socket the server may already have closed.
   */
  async request(path: string, o: HttpRequestOptions = {}): Promise<HttpResult> {
    const url = this.url(path);
    const started = performance.now();
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs;
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = {
      Accept: '*/*',
      'User-Agent': this.opts.userAgent ?? 'ws-doctor',
      ...(this.opts.forwardedProto ? { 'X-Forwarded-Proto': this.opts.forwardedProto } : {}),
      ...o.headers,
    };
    let body: Buffer | undefined;
    if (o.json !== undefined) {
      body = Buffer.from(JSON.stringify(o.json), 'utf8');
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    try {
      const res = await send(url, { method: o.method ?? 'GET', headers, signal }, body);
      const text = await readCapped(res, o.maxBodyChars ?? 2_000_000, signal);
      return { kind: 'response', url, status: res.statusCode ?? 0, headers: responseHeaders(res.rawHeaders), body: text, latencyMs: elapsed(started) };
    } catch (err) {
      const { error, message } = classifyFetchError(signal.aborted ? { name: 'AbortError' } : err);
      return { kind: 'error', url, error, message, latencyMs: elapsed(started) };
    }
  }
}

/** Sends the request; resolves with the response head (the body is read by readCapped). */
function send(url: string, o: { method: string; headers: Record<string, string>; signal: AbortSignal }, body?: Buffer): Promise<IncomingMessage> {
  const u = new URL(url);
  // As fetch does: a URL's user:password is never sent (it would go out as Basic auth to whoever answers).
  if (u.username || u.password) return Promise.reject(new Error('URL includes credentials'));
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new Error(`unsupported scheme ${u.protocol}`));
  // TLS is loaded only for an https backend.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: typeof http = u.protocol === 'https:' ? (require('node:https') as typeof http) : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: o.method, headers: o.headers, signal: o.signal, agent: false }, resolve);
    req.once('error', reject);
    req.end(body);
  });
}

function responseHeaders(raw: string[]): ResponseHeaders {
  const all = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const list = all.get(name) ?? [];
    list.push(raw[i + 1] ?? '');
    all.set(name, list);
  }
  return {
    get: (name) => all.get(name.toLowerCase())?.join(', ') ?? null,
    getSetCookie: () => [...(all.get('set-cookie') ?? [])],
  };
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

export function elapsed(startedPerfNow: number): number {
  return Math.round(performance.now() - startedPerfNow);
}

/**
 * The body, streamed and cut at `max` characters' worth of bytes: reading stops (and the rest is cancelled)
 * once enough has arrived, so a 90 MB answer costs at most `max` bytes of memory, never the whole body.
 */
function readCapped(res: IncomingMessage, max: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      const text = Buffer.concat(chunks, size).toString('utf8');
      resolve(text.length > max ? text.slice(0, max) : text);
    };
    const onAbort = (): void => {
      res.destroy();
      reject(Object.assign(new Error('timeout'), { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= max) {
        // Enough: stop reading and drop the connection, the rest of the body is never buffered.
        res.removeAllListeners('data');
        res.destroy();
        done();
      }
    });
    res.once('end', done);
    res.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

/** Map node:http (and fetch/undici) failures onto the few kinds a check distinguishes. */
export function classifyFetchError(err: unknown): { error: HttpErrorKind; message: string } {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return { error: 'timeout', message: 'timeout' };
  const code = e?.cause?.code ?? e?.code ?? '';
  if (e?.cause?.name === 'ConnectTimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT')
    return { error: 'timeout', message: code || 'connect timeout' };
  if (code === 'ECONNREFUSED') return { error: 'refused', message: code };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: 'dns', message: code };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { error: 'reset', message: code };
  if (/CERT|SSL|TLS/i.test(code)) return { error: 'tls', message: code };
  // Redact before cutting: undici quotes a credentialed URL, and a cut `http://u:pass` no longer looks like one.
  return { error: 'other', message: redact(code || e?.cause?.message || e?.message || 'error').slice(0, 80) };
}

/** Parse a JSON body without throwing; `undefined` when it is not JSON. */
export function jsonBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The `Location` of a redirect, resolved against the request URL. */
export function redirectLocation(res: HttpResponseResult): string | undefined {
  const loc = res.headers.get('location');
  if (!loc) return undefined;
  try {
    return new URL(loc, res.url).toString();
  } catch {
    return loc;
  }
}

/**
 * The SSL-redirect signature (§9.1, §12): a redirect to the *same* host and path on https. The port is not
 * compared: behind a proxy Django may rebuild the host with or without it.
 */
export function isSelfHttpsRedirect(requestUrl: string, location: string | undefined): boolean {
  if (!location) return false;
  try {
    const from = new URL(requestUrl);
    const to = new URL(location, requestUrl);
    const scheme = to.protocol === 'https:' || to.protocol === 'wss:';
    return scheme && to.hostname === from.hostname && to.pathname === from.pathname;
  } catch {
    return false;
  }
}
