/**
 * A hostile front for the demo backend: a reverse proxy that forwards everything to the real demo backend but
 * lets a test replace chosen answers (a WebSocket upgrade answered with a crafted redirect, a token endpoint
 * that errors with a crafted `code`, …). The bot sees a stack whose text has been chosen by an attacker.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface HostileRules {
  /** Answer WebSocket upgrades on this path with this raw HTTP response instead of proxying. */
  upgrade?: (path: string) => string | undefined;
  /** Answer HTTP requests with this instead of proxying. */
  http?: (method: string, path: string) => { status: number; headers?: Record<string, string>; body: string } | undefined;
}

export interface HostileBackend {
  url: string;
  rules: HostileRules;
  stop(): Promise<void>;
}

export async function startHostileBackend(targetUrl: string, rules: HostileRules = {}): Promise<HostileBackend> {
  const target = new URL(targetUrl);
  const state: HostileBackend = { url: '', rules, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const canned = state.rules.http?.(req.method ?? 'GET', path);
    if (canned) {
      res.writeHead(canned.status, canned.headers ?? { 'content-type': 'application/json' });
      res.end(canned.body);
      return;
    }
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const canned = state.rules.upgrade?.(path);
    if (canned !== undefined) {
      socket.end(canned);
      return;
    }
    // Proxy the upgrade byte for byte.
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } });
    up.on('upgrade', (r, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${r.statusCode} ${r.statusMessage}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${String(v)}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket).pipe(upSocket);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
    });
    up.on('response', (r) => {
      const lines = [`HTTP/1.1 ${r.statusCode} ${r.statusMessage}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${String(v)}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      r.pipe(socket);
    });
    up.on('error', () => socket.destroy());
    up.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
