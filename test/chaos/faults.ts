/**
 * Misbehaving peers for chaos rows, each on its own loopback port and stopped by its handle:
 * - `blackHole()`: accepts TCP connections and never answers (a hung Redis, a wedged proxy).
 * - `resetter()`: accepts and resets at once (a crashing peer).
 * - `deadPort()`: a port nothing listens on (connection refused).
 */
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
