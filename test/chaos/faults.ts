/**
 * Misbehaving peers for chaos rows, each on its own loopback port and stopped by its handle:
 * - `blackHole()`: accepts TCP connections and never answers (a hung Redis, a wedged proxy).
 * - `resetter()`: accepts and resets at once (a crashing peer).
 * - `deadPort()`: a port nothing listens on (connection refused).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';

export interface FaultServer {
  port: number;
  url(scheme: string): string;
  /** Connections accepted so far. */
  accepted: number;
  stop(): Promise<void>;
}

async function serve(onSocket: (s: net.Socket) => void): Promise<FaultServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    handle.accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const handle: FaultServer = {
    port,
    accepted: 0,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return handle;
}

export function blackHole(): Promise<FaultServer> {
  return serve((s) => s.resume());
}

export function resetter(): Promise<FaultServer> {
  return serve((s) => s.resetAndDestroy());
}

/** A free port with nothing listening on it (bound, read, released). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A TCP proxy to `targetPort` that holds the first `delayedReplies` answers from the server for `delayMs` each
 * (a Redis busy with a slow command, a congested link), then passes bytes through.
 */
export async function delayingProxy(targetPort: number, opts: { delayMs: number; delayedReplies?: number }): Promise<FaultServer> {
  let delayed = 0;
  return serve((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    let chain = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const hold = delayed < (opts.delayedReplies ?? 1);
      if (hold) delayed++;
      chain = chain.then(() => (hold ? new Promise((r) => setTimeout(r, opts.delayMs)) : undefined)).then(() => void (client.destroyed || client.write(chunk)));
    });
  });
}

export interface RawBackendBehaviour {
  /** Bytes sent right after a 101 to a WebSocket upgrade (crafted frames). */
  frames?: () => Buffer | Buffer[];
  /** Body of every plain HTTP answer (status 200), e.g. 90 MB of junk. */
  httpBody?: () => Buffer;
}

/**
 * A backend speaking just enough HTTP/1.1 to answer requests and accept WebSocket upgrades (with a correct
 * Sec-WebSocket-Accept), then sending whatever crafted frames the row wants: reserved opcodes, RSV bits,
 * absurd lengths, huge frames. Plain requests get `httpBody`.
 */
export function rawBackend(b: RawBackendBehaviour): Promise<FaultServer> {
  return serve((s) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1];
      if (key && /upgrade:\s*websocket/i.test(head)) {
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        const out = b.frames?.() ?? [];
        for (const f of Array.isArray(out) ? out : [out]) s.write(f);
        return;
      }
      const body = b.httpBody?.() ?? Buffer.from('{"status":"ok"}');
      s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      s.end(body);
    };
    s.on('data', onData);
  });
}

/** One unmasked server frame: FIN + opcode (+ RSV bits), with a 7/16/64-bit length as the payload needs. */
export function wsFrame(opcode: number, payload: Buffer, opts: { rsv?: number; claimedLength?: bigint } = {}): Buffer {
  const first = 0x80 | ((opts.rsv ?? 0) << 4) | opcode;
  const len = opts.claimedLength ?? BigInt(payload.length);
  let header: Buffer;
  if (len < 126n) header = Buffer.from([first, Number(len)]);
  else if (len < 65536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 126;
    header.writeUInt16BE(Number(len), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 127;
    header.writeBigUInt64BE(len, 2);
  }
  return Buffer.concat([header, payload]);
}
