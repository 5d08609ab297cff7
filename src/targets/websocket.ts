/**
 * WebSocket probe client over the `ws` package. What a check needs to know about a handshake is *how* it
 * ended: upgraded (101), answered with a plain HTTP status (every rejection before accept is an HTTP 403,
 * an exception before accept a 500, a proxy's redirect a 3xx — §3, §12), timed out, or never connected.
 * Redirects are never followed. Frames are buffered from the first byte so none is missed between awaits.
 */
import WebSocket from 'ws';
import { classifyFetchError, elapsed, type HttpErrorKind } from './http';

export type WsOpenResult =
  | { kind: 'open'; socket: ProbeSocket; openMs: number }
  | { kind: 'http'; status: number; location?: string; openMs: number }
  | { kind: 'timeout'; openMs: number }
  | { kind: 'error'; error: HttpErrorKind; message: string; openMs: number };

export type WsFrameResult =
  | { kind: 'message'; data: string; atMs: number }
  /** The server's close, or a protocol violation (1002 reserved opcode / RSV bits, 1009 frame too large) with its reason. */
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'timeout' };

/**
 * Largest frame a probe accepts. Every frame the stack sends a probe is a small JSON object; a 90 MB frame is
 * an attack or a broken proxy, and is refused while arriving (close 1009) instead of being buffered.
 */
export const MAX_PROBE_FRAME_BYTES = 1024 * 1024;

/** `close 1002 (protocol error: …)`: how findings name how a socket ended. */
export function describeClose(f: { code: number; reason: string }): string {
  return f.reason ? `close ${f.code} (${f.reason.slice(0, 100)})` : `close ${f.code}`;
}

export interface WsOpenOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  origin?: string;
  headers?: Record<string, string>;
}

/** http(s) base → ws(s) base, unless an explicit WebSocket base is configured. */
export function wsBaseUrl(backendUrl: string, wsUrl?: string): string {
  if (wsUrl) return wsUrl.replace(/\/+$/, '');
  return backendUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
}

export async function openWebSocket(url: string, o: WsOpenOptions): Promise<WsOpenResult> {
  const started = performance.now();
  return await new Promise<WsOpenResult>((resolve) => {
    let settled = false;
    const ws = new WebSocket(url, {
      followRedirects: false,
      perMessageDeflate: false,
      maxPayload: MAX_PROBE_FRAME_BYTES,
      ...(o.origin ? { origin: o.origin } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    const socket = new ProbeSocket(ws);
    const finish = (r: WsOpenResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (r.kind !== 'open') ws.terminate();
      resolve(r);
    };
    const onAbort = (): void => finish({ kind: 'timeout', openMs: elapsed(started) });
    const timer = setTimeout(onAbort, o.timeoutMs);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });

    // Errors after settling (e.g. the terminate above) must not become unhandled 'error' events.
    ws.on('error', (err) => finish({ kind: 'error', ...classifyFetchError({ cause: err, message: err.message }), openMs: elapsed(started) }));
    ws.on('unexpected-response', (_req, res) => {
      const location = res.headers.location;
      res.resume();
      finish({ kind: 'http', status: res.statusCode ?? 0, ...(location ? { location } : {}), openMs: elapsed(started) });
    });
    ws.on('open', () => finish({ kind: 'open', socket, openMs: elapsed(started) }));
  });
}

/** A connected socket with buffered frames and a bounded close. */
export class ProbeSocket {
  private readonly frames: WsFrameResult[] = [];
  private waiter: ((f: WsFrameResult) => void) | undefined;
  private closed: { code: number; reason: string } | undefined;
  private readonly started = performance.now();

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => this.push({ kind: 'message', data: isBinary ? '' : String(data), atMs: elapsed(this.started) }));
    ws.on('close', (code, reason) => this.end(code, String(reason)));
    // A protocol violation (reserved opcode, RSV bits, absurd length, frame over maxPayload) surfaces here.
    // `ws` would then wait up to 30 s for a closing handshake a broken server never sends: name the error at
    // once and drop the connection.
    ws.on('error', (err: Error & { code?: string }) => {
      const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002;
      this.end(code, `${code === 1009 ? 'frame too large' : 'protocol error'}: ${err.message}`);
      ws.terminate();
    });
  }

  private end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.push({ kind: 'close', ...this.closed });
  }

  private push(f: WsFrameResult): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(f);
    } else this.frames.push(f);
  }

  /** The next frame or the close, whichever comes first, or `timeout`. */
  async next(timeoutMs: number, signal?: AbortSignal): Promise<WsFrameResult> {
    const queued = this.frames.shift();
    if (queued) return queued;
    if (this.closed) return { kind: 'close', ...this.closed };
    return await new Promise<WsFrameResult>((resolve) => {
      const done = (f: WsFrameResult): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(f);
      };
      const onAbort = (): void => done({ kind: 'timeout' });
      const timer = setTimeout(onAbort, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = done;
    });
  }

  send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Close normally and wait (bounded by time and signal) for the server's close; terminate if it does not answer. */
  async close(code = 1000, timeoutMs = 1000, signal?: AbortSignal): Promise<{ code: number } | undefined> {
    if (this.closed) return { code: this.closed.code };
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code);
    const until = performance.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(until - performance.now(), 0), signal);
      if (f.kind === 'close') return { code: f.code };
      if (f.kind === 'timeout') {
        this.ws.terminate();
        return undefined;
      }
    }
  }

  /** Drop the connection without a close handshake (cleanup after a failed check). */
  terminate(): void {
    this.ws.terminate();
  }
}

/** Parse a text frame as a JSON object; `undefined` for anything else. */
export function frameJson(data: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
