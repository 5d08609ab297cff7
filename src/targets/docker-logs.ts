/**
 * Streams `GET /containers/{id}/logs` straight off the engine socket. The engine flushes one HTTP chunk per
 * log line; Node's HTTP client would wake us once per chunk (a million events for 100 MB), so this speaks the
 * few bits of HTTP/1.1 it needs itself: one request, status + headers, then the chunked body decoded and
 * demultiplexed in place over large socket reads into one reusable buffer. Nothing is buffered whole.
 *
 * The request honours an AbortSignal and a deadline: either destroys the socket at once.
 */
import net from 'node:net';
import { ChunkedDecoder, DockerDemuxer } from './docker-demux';
import { classifyDockerError, DockerUnavailableError, type DockerEndpoint } from './docker-errors';

export interface LogStreamQuery {
  /** Unix seconds (fractions allowed by Docker; podman uses whole seconds). */
  since?: number;
  until?: number;
  /** Last N lines only. */
  tail?: number;
  timestamps?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface LogStreamOptions extends LogStreamQuery {
  /** Container TTY mode: its log is one raw stream, not multiplexed. */
  tty: boolean;
  signal?: AbortSignal;
  /** Give up (DockerUnavailableError 'timeout') after this long. */
  timeoutMs?: number;
  /**
   * Let small reads accumulate for this many ms before reading again (default 2). The engine writes one line
   * per syscall; reading each as it comes costs more CPU than the scan itself. 0 disables.
   */
  batchMs?: number;
  /** Stop once this returns true (checked after each read). */
  stopWhen?: () => boolean;
}

/** Payload bytes of one stream (1 stdout, 2 stderr, 0 TTY). The slice is only valid during the call. */
export type LogSink = (stream: number, buf: Buffer, start: number, end: number) => void;

export interface LogStreamStats {
  bytes: number;
  reads: number;
  /** The stream ended cleanly (as opposed to stopped by stopWhen). */
  complete: boolean;
}

const READ_BUFFER = 1 << 20;

export function logsPath(id: string, q: LogStreamQuery): string {
  const p = new URLSearchParams();
  p.set('stdout', q.stdout === false ? '0' : '1');
  p.set('stderr', q.stderr === false ? '0' : '1');
  if (q.timestamps) p.set('timestamps', '1');
  if (q.since !== undefined) p.set('since', String(Math.max(0, Math.floor(q.since))));
  if (q.until !== undefined) p.set('until', String(Math.ceil(q.until)));
  if (q.tail !== undefined) p.set('tail', String(q.tail));
  return `/containers/${encodeURIComponent(id)}/logs?${p.toString()}`;
}

export function streamLogs(ep: DockerEndpoint, id: string, opts: LogStreamOptions, sink: LogSink): Promise<LogStreamStats> {
  const path = logsPath(id, opts);
  return new Promise<LogStreamStats>((resolve, reject) => {
    const stats: LogStreamStats = { bytes: 0, reads: 0, complete: false };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let batchTimer: NodeJS.Timeout | undefined;
    const batchMs = opts.batchMs ?? 2;

    // Response parsing state.
    let headerBuf = '';
    let inBody = false;
    let status = 0;
    let chunked = false;
    let contentLeft = -1;
    let errorBody = '';

    const payload: LogSink = opts.tty ? (_s, b, s, e) => sink(0, b, s, e) : sink;
    const demux = opts.tty ? undefined : new DockerDemuxer(payload);
    const body = (b: Buffer, s: number, e: number): void => {
      if (status !== 200) {
        if (errorBody.length < 4096) errorBody += b.toString('utf8', s, e);
        return;
      }
      stats.bytes += e - s;
      if (demux) demux.push(b, s, e);
      else payload(0, b, s, e);
    };
    const chunkDecoder = new ChunkedDecoder(body);

    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (batchTimer) clearTimeout(batchTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) {
        reject(classifyDockerError(err, ep, 'log read'));
        return;
      }
      if (status !== 200) {
        let message = errorBody.trim();
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          /* plain text */
        }
        reject(classifyDockerError({ statusCode: status, message, json: { message } }, ep, `log read of ${id.slice(0, 12)}`));
        return;
      }
      resolve(stats);
    };
    const onAbort = (): void => {
      const e = new Error('aborted');
      e.name = 'AbortError';
      finish(e);
    };

    const readBuf = Buffer.allocUnsafe(READ_BUFFER);
    const onRead = (n: number, buf: Buffer): boolean => {
      if (settled) return false;
      stats.reads++;
      try {
        let start = 0;
        if (!inBody) {
          // Headers are small: find the blank line in this read (or accumulate).
          headerBuf += buf.toString('latin1', 0, n);
          const endHdr = headerBuf.indexOf('\r\n\r\n');
          if (endHdr === -1) {
            if (headerBuf.length > 65536) throw new Error('engine sent oversized headers');
            return true;
          }
          const head = headerBuf.slice(0, endHdr);
          const consumedFromThisRead = endHdr + 4 - (headerBuf.length - n);
          headerBuf = '';
          inBody = true;
          const lines = head.split('\r\n');
          status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
          for (const l of lines.slice(1)) {
            const c = l.indexOf(':');
            if (c === -1) continue;
            const k = l.slice(0, c).trim().toLowerCase();
            const v = l.slice(c + 1).trim();
            if (k === 'transfer-encoding' && /chunked/i.test(v)) chunked = true;
            if (k === 'content-length') contentLeft = Number(v);
          }
          start = consumedFromThisRead;
        }
        if (start < n) {
          if (chunked) {
            chunkDecoder.push(buf, start, n);
            if (chunkDecoder.done) {
              stats.complete = true;
              finish();
              return false;
            }
          } else {
            let e = n;
            if (contentLeft >= 0) {
              e = Math.min(n, start + contentLeft);
              contentLeft -= e - start;
            }
            body(buf, start, e);
            if (contentLeft === 0) {
              stats.complete = true;
              finish();
              return false;
            }
          }
        }
        if (opts.stopWhen?.()) {
          finish();
          return false;
        }
      } catch (err) {
        finish(err);
        return false;
      }
      // Small read: let the engine fill the socket buffer a little before the next read.
      if (batchMs > 0 && n < 64 * 1024 && inBody) {
        sock.pause();
        batchTimer = setTimeout(() => {
          batchTimer = undefined;
          if (!settled) sock.resume();
        }, batchMs);
      }
      return true;
    };

    const connectOpts =
      'socketPath' in ep
        ? { path: ep.socketPath, onread: { buffer: readBuf, callback: onRead } }
        : { host: ep.host, port: ep.port, onread: { buffer: readBuf, callback: onRead } };
    const sock = net.connect(connectOpts as net.NetConnectOpts);
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: ws-doctor\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    });
    sock.on('error', (err) => finish(err));
    sock.on('end', () => {
      if (settled) return;
      if (!inBody) {
        finish(Object.assign(new Error('engine closed the connection before answering'), { code: 'ECONNRESET' }));
        return;
      }
      if (status !== 200) {
        finish();
        return;
      }
      if (chunked && !chunkDecoder.done) {
        finish(Object.assign(new Error('premature close of the log stream'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
        return;
      }
      if (contentLeft > 0) {
        finish(Object.assign(new Error('premature close of the log stream'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
        return;
      }
      stats.complete = true;
      finish();
    });
    sock.on('close', () => {
      if (!settled) finish(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    });
    if (opts.signal) {
      if (opts.signal.aborted) {
        queueMicrotask(onAbort);
      } else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const e = new Error('timed out');
        e.name = 'AbortError';
        finish(e);
      }, opts.timeoutMs);
    }
  });
}

export { DockerUnavailableError };
