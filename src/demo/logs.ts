/**
 * The demo backend's log output: the exact line shapes of the real web container (target-system §5, §12).
 *
 * - Django/app and Daphne's own lines: `LEVEL YYYY-MM-DD HH:MM:SS,mmm message` on stderr (UTC here).
 * - Local compose (debug): uvicorn lines `INFO:     …`, including per-socket access lines that carry the full
 *   query string, i.e. live connection tokens (the real leak the bot must redact).
 * - Production (not debug): Daphne's NCSA-style access log on stdout, path only (`WSCONNECTING /ws/chat/x/`).
 *
 * Lines go into a bounded ring buffer and, one by one, to the optional sink.
 */
import http from 'node:http';

export type LogStream = 'stdout' | 'stderr';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface DemoLogEntry {
  /** Epoch ms when the line was written. */
  ts: number;
  stream: LogStream;
  line: string;
}

export class DemoLogBuffer {
  private readonly buf: DemoLogEntry[] = [];

  constructor(
    private readonly capacity = 5000,
    private readonly sink?: (line: string) => void,
  ) {}

  push(line: string, stream: LogStream = 'stderr', ts = Date.now()): void {
    this.buf.push({ ts, stream, line });
    if (this.buf.length > this.capacity) this.buf.splice(0, this.buf.length - this.capacity);
    if (this.sink) {
      try {
        this.sink(line);
      } catch {
        /* a broken sink must not break the backend */
      }
    }
  }

  /** Lines written at or after `sinceMs` (epoch ms), oldest first. */
  lines(sinceMs?: number): string[] {
    return this.entries(sinceMs).map((e) => e.line);
  }

  entries(sinceMs?: number): DemoLogEntry[] {
    return sinceMs === undefined ? [...this.buf] : this.buf.filter((e) => e.ts >= sinceMs);
  }

  /** Lines matching `re` (a string is a plain substring), optionally only those at or after `sinceMs`. */
  grep(re: RegExp | string, sinceMs?: number): string[] {
    const test =
      typeof re === 'string' ? (l: string) => l.includes(re) : ((r) => (l: string) => r.test(l))(new RegExp(re.source, re.flags.replace(/[gy]/g, '')));
    return this.lines(sinceMs).filter(test);
  }

  get size(): number {
    return this.buf.length;
  }

  clear(): void {
    this.buf.length = 0;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-11-26 10:00:00,123` (UTC), Python logging's `%(asctime)s`. */
export function asctime(d = new Date()): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** Django console handler: `LEVEL YYYY-MM-DD HH:MM:SS,mmm message`. */
export function djangoLine(level: LogLevel, message: string, d = new Date()): string {
  return `${level} ${asctime(d)} ${message}`;
}

/** uvicorn's default formatter: `INFO:     message` (level + colon padded to 10 columns). */
export function uvicornLine(level: LogLevel, message: string): string {
  return `${`${level}:`.padEnd(10)}${message}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Daphne access log (`daphne/access.py`): `client - - [26/Nov/2026:10:00:00] "REQUEST" status length`. */
export function daphneAccessLine(client: string, request: string, status: number | '-' = '-', length: number | '-' = '-', d = new Date()): string {
  const date = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${client} - - [${date}] "${request}" ${status} ${length}`;
}

/** Python's `datetime.utcnow().isoformat() + 'Z'` (microsecond precision), as the consumers put in frames. */
export function pyIsoNow(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}


/**
 * Writes the log lines of one server process in the style of its mode: uvicorn (debug, local compose) or
 * Daphne (production).
 */
export class DemoLogger {
  constructor(
    readonly buffer: DemoLogBuffer,
    private readonly debug: boolean,
  ) {}

  /** An application (Django / Channels / Daphne) line on stderr. */
  app(level: LogLevel, message: string): void {
    if (level === 'DEBUG') return; // the `core` logger is at INFO: DEBUG lines never appear (§5)
    this.buffer.push(djangoLine(level, message), 'stderr');
  }

  info(message: string): void {
    this.app('INFO', message);
  }
  warning(message: string): void {
    this.app('WARNING', message);
  }
  error(message: string): void {
    this.app('ERROR', message);
  }

  /** ERROR line followed by a short Python traceback (each traceback line is its own log line). */
  exception(message: string, pyType: string, pyMessage: string, frames: string[] = []): void {
    this.error(message);
    this.buffer.push('Traceback (most recent call last):', 'stderr');
    for (const f of frames) this.buffer.push(f, 'stderr');
    this.buffer.push(`${pyType}: ${pyMessage}`, 'stderr');
  }

  /** A uvicorn server line (debug mode only). */
  uvicorn(level: LogLevel, message: string): void {
    if (this.debug) this.buffer.push(uvicornLine(level, message), 'stderr');
  }

  /** Access line of one HTTP request. */
  httpAccess(client: string, method: string, pathWithQuery: string, status: number, length: number): void {
    if (this.debug) {
      this.buffer.push(uvicornLine('INFO', `${client} - "${method} ${pathWithQuery} HTTP/1.1" ${status} ${http.STATUS_CODES[status] ?? ''}`.trimEnd()), 'stdout');
    } else {
      const path = pathWithQuery.split('?')[0] ?? pathWithQuery;
      this.buffer.push(daphneAccessLine(client, `${method} ${path}`, status, length), 'stdout');
    }
  }

  /** The handshake reached the server (Daphne only logs this). */
  wsConnecting(client: string, path: string): void {
    if (!this.debug) this.buffer.push(daphneAccessLine(client, `WSCONNECTING ${path}`), 'stdout');
  }

  wsAccepted(client: string, path: string, pathWithQuery: string): void {
    if (this.debug) {
      this.buffer.push(uvicornLine('INFO', `${client} - "WebSocket ${pathWithQuery}" [accepted]`), 'stdout');
      this.buffer.push(uvicornLine('INFO', 'connection open'), 'stderr');
    } else this.buffer.push(daphneAccessLine(client, `WSCONNECT ${path}`), 'stdout');
  }

  /** A handshake answered with an HTTP status instead of 101 (403 reject or 500 exception). */
  wsRejected(client: string, path: string, pathWithQuery: string, status: 403 | 500): void {
    if (this.debug) {
      this.buffer.push(uvicornLine('INFO', `${client} - "WebSocket ${pathWithQuery}" ${status}`), 'stdout');
      this.buffer.push(uvicornLine('INFO', `connection rejected (${status} ${http.STATUS_CODES[status] ?? ''})`), 'stderr');
      this.buffer.push(uvicornLine('INFO', 'connection closed'), 'stderr');
    } else {
      if (status === 403) this.buffer.push(daphneAccessLine(client, `WSREJECT ${path}`), 'stdout');
      this.buffer.push(daphneAccessLine(client, `WSDISCONNECT ${path}`), 'stdout');
    }
  }

  wsClosed(client: string, path: string): void {
    if (this.debug) this.buffer.push(uvicornLine('INFO', 'connection closed'), 'stderr');
    else this.buffer.push(daphneAccessLine(client, `WSDISCONNECT ${path}`), 'stdout');
  }
}
