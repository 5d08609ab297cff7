/**
 * A thin HTTP client for the probes. Redirects are never followed (a 3xx *is* the finding: the SSL-redirect
 * incident, §9.1), every request is bounded by its own timeout *and* the caller's abort signal, and transport
 * failures come back as values, never as throws, so a check can turn them into a finding.
 */
import { redact } from '../telemetry/redact';

export type HttpErrorKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'other';

export interface HttpResponseResult {
  kind: 'response';
  url: string;
  status: number;
  headers: Headers;
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

  async request(path: string, o: HttpRequestOptions = {}): Promise<HttpResult> {
    const url = this.url(path);
    const started = performance.now();
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs;
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = {
      'User-Agent': this.opts.userAgent ?? 'ws-doctor',
      ...(this.opts.forwardedProto ? { 'X-Forwarded-Proto': this.opts.forwardedProto } : {}),
      ...o.headers,
    };
    let body: string | undefined;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['Content-Type'] = 'application/json';
    }
    try {
      const res = await fetch(url, { method: o.method ?? 'GET', headers, body, redirect: 'manual', signal });
      const text = await readCapped(res, o.maxBodyChars ?? 2_000_000);
      return { kind: 'response', url, status: res.status, headers: res.headers, body: text, latencyMs: elapsed(started) };
    } catch (err) {
      const { error, message } = classifyFetchError(err);
      return { kind: 'error', url, error, message, latencyMs: elapsed(started) };
    }
  }
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
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (size >= max) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  return text.length > max ? text.slice(0, max) : text;
}

/** Map fetch/undici failures onto the few kinds a check distinguishes. */
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
