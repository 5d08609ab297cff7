/**
 * The Channels peer itself (Daphne + Channels + channels_redis over a real redis-server): the behaviours of the
 * real stack that ws-doctor's diagnosis relies on, asserted as a client and the logs see them — so a change
 * to the peer that stops mirroring target-system.md fails here, not silently in a diagnosis test.
 */
import Redis from 'ioredis';
import WebSocket from 'ws';
import { ChannelsStack, PEER_PROBE_USER } from '../peers/channels-stack';

let stack: ChannelsStack;
let cache: Redis;
let layer: Redis;

beforeAll(async () => {
  stack = await ChannelsStack.start();
  cache = new Redis(`${stack.redisUrl}/2`);
  layer = new Redis(`${stack.redisUrl}/3`);
}, 60000);

afterAll(async () => {
  cache?.disconnect();
  layer?.disconnect();
  await stack?.stop();
});

// Healthy cases first; each fault case injects its own fault (inject() undoes the previous one and restarts
// the peer only when the deployment changes).

async function login(): Promise<string> {
  const res = await fetch(`${stack.peer.url}/api/v1/auth/login/`, {
    method: 'POST',
    // As behind a TLS-terminating proxy (DEBUG off redirects plain HTTP; fetch would follow to https).
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-Proto': 'https' },
    body: JSON.stringify({ email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  expect(cookie).toMatch(/Domain=localhost/);
  return (cookie as string).split(';')[0]!.slice('access_token='.length);
}

async function connectionToken(jwt: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.peer.url}/api/v1/auth/ws-connection-token/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${jwt}`, 'X-Forwarded-Proto': 'https' },
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

type Handshake = { kind: 'open'; ws: WebSocket; first: string } | { kind: 'http'; status: number };

function handshake(path: string, headers: Record<string, string> = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.peer.wsUrl}${path}`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ kind: 'http', status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('message', (d) => resolve({ kind: 'open', ws, first: String(d) }));
    ws.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

const close = (ws: WebSocket): Promise<number> => new Promise((r) => (ws.once('close', (code) => r(code)), ws.close(1000)));

describe('Channels peer: the real stack as a client sees it', () => {
  it('login sets the access_token cookie; the token endpoint issues a 43-char token stored pickled in DB 2 with TTL 60', async () => {
    const jwt = await login();
    const r = await connectionToken(jwt);
    expect(r.status).toBe(200);
    expect(r.body.expires_in).toBe(60);
    const token = r.body.connection_token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const key = `allthrive:1:ws_conn_token:${token}`;
    const pttl = await cache.pttl(key);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    const raw = await cache.getBuffer(key);
    expect(raw?.[0]).toBe(0x80); // pickle PROTO opcode
    expect(raw?.[1]).toBe(5);
    expect(await stack.peer.waitForLine(/\[WS_TOKEN_API\] Generated connection token for user=ws-doctor \(id=7\)/)).toBeTruthy();
    // Unauthenticated → 401 DRF detail; GET → 405.
    const anon = await fetch(`${stack.peer.url}/api/v1/auth/ws-connection-token/`, { method: 'POST' });
    expect(anon.status).toBe(401);
    const bad = await connectionToken('not-a-jwt');
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('token_not_valid');
  });

  it('chat: connected frame, ping → pong, group membership in DB 3 while open, token single-use (reuse → 403)', async () => {
    const token = (await connectionToken(await login())).body.connection_token as string;
    const conv = `peer-${Date.now()}`;
    const hs = await handshake(`/ws/chat/${conv}/?connection_token=${token}`);
    expect(hs.kind).toBe('open');
    if (hs.kind !== 'open') return;
    expect(JSON.parse(hs.first)).toMatchObject({ event: 'connected', conversation_id: conv });
    const members = await layer.zrange(`asgi:group:chat_${conv}`, 0, '-1');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatch(/^specific\.[0-9a-f]{32}![A-Za-z0-9]+$/);
    const pong = new Promise<string>((r) => hs.ws.once('message', (d) => r(String(d))));
    hs.ws.send(JSON.stringify({ type: 'ping' }));
    expect(JSON.parse(await pong)).toMatchObject({ event: 'pong' });
    expect(await close(hs.ws)).toBe(1000);
    expect(await cache.exists(`allthrive:1:ws_conn_token:${token}`)).toBe(0);
    const again = await handshake(`/ws/chat/${conv}-2/?connection_token=${token}`);
    expect(again).toEqual({ kind: 'http', status: 403 });
    await stack.peer.waitForLine(new RegExp(`Unauthenticated WebSocket connection attempt for conversation ${conv}-2`));
    await stack.peer.waitForLine(/\[WS_TOKEN\] Invalid or expired token: [A-Za-z0-9_-]{8}\.\.\./);
    await stack.peer.waitForLine(/WSREJECT/);
    // The group entry is discarded on close.
    expect(await layer.zcard(`asgi:group:chat_${conv}`)).toBe(0);
  });

  it('a missing Origin passes; a disallowed Origin is a pre-accept 403 that consumes the token', async () => {
    const jwt = await login();
    const t1 = (await connectionToken(jwt)).body.connection_token as string;
    const ok = await handshake(`/ws/chat/peer-o1/?connection_token=${t1}`, { Origin: 'http://localhost:3000' });
    expect(ok.kind).toBe('open');
    if (ok.kind === 'open') await close(ok.ws);
    const t2 = (await connectionToken(jwt)).body.connection_token as string;
    const bad = await handshake(`/ws/chat/peer-o2/?connection_token=${t2}`, { Origin: 'https://evil.example' });
    expect(bad).toEqual({ kind: 'http', status: 403 });
    expect(await cache.exists(`allthrive:1:ws_conn_token:${t2}`)).toBe(0);
    await stack.peer.waitForLine(/WebSocket rejected - unauthorized origin: origin='https:\/\/evil\.example'/);
  });

  it('/ws/health/: 101, one frame, close 1000, no auth', async () => {
    const hs = await handshake('/ws/health/');
    expect(hs.kind).toBe('open');
    if (hs.kind !== 'open') return;
    expect(JSON.parse(hs.first)).toEqual({ status: 'ok', message: 'WebSocket healthy' });
    expect(await new Promise((r) => hs.ws.once('close', (c) => r(c)))).toBe(1000);
  });

  it('DEBUG off: connection-rate and concurrency limits are pre-accept 403s with the real log texts; a rejection decrements the counter', async () => {
    await stack.inject('leaked-counter');
    const token = (await connectionToken(await login())).body.connection_token as string;
    const hs = await handshake(`/ws/chat/peer-l/?connection_token=${token}`, { 'X-Forwarded-Proto': 'https' });
    expect(hs).toEqual({ kind: 'http', status: 403 });
    await stack.peer.waitForLine(/WebSocket connection limit exceeded for user 7: Maximum 5 concurrent connections allowed/);
    await stack.peer.waitForLine(/\[SECURITY\] User 7 exceeded WebSocket connection limit: 5/);
    await new Promise((r) => setTimeout(r, 200));
    expect(await cache.get(`allthrive:1:ws_connections:user:7`)).toBe('4');

    await stack.inject('rate-limited');
    const t2 = (await connectionToken(await login())).body.connection_token as string;
    expect(await handshake(`/ws/chat/peer-r/?connection_token=${t2}`)).toEqual({ kind: 'http', status: 403 });
    await stack.peer.waitForLine(/WebSocket connection rate limit exceeded for user 7/);
    await stack.peer.waitForLine(/\[SECURITY\] User 7 exceeded connection rate limit/);
  });

  it('exceptions before accept are HTTP 500: a missing route, and group_add on a dead channel layer', async () => {
    await stack.inject('chat-route-missing');
    let token = (await connectionToken(await login())).body.connection_token as string;
    expect(await handshake(`/ws/chat/peer-x/?connection_token=${token}`)).toEqual({ kind: 'http', status: 500 });
    await stack.peer.waitForLine(/No route found for path/);

    await stack.inject('channel-layer-down');
    token = (await connectionToken(await login())).body.connection_token as string;
    expect(await handshake(`/ws/chat/peer-y/?connection_token=${token}`)).toEqual({ kind: 'http', status: 500 });
    await stack.peer.waitForLine(/Exception inside application/);
  });

  it('a web cache on an unreachable Redis fails login with 500; DisallowedHost is a 400 on every Django view but /api/v1/health/', async () => {
    await stack.inject('cache-unreachable');
    const res = await fetch(`${stack.peer.url}/api/v1/auth/login/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password }),
    });
    expect(res.status).toBe(500);

    await stack.inject('disallowed-host');
    expect((await fetch(`${stack.peer.url}/api/v1/auth/login/`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${stack.peer.url}/api/v1/health/`)).status).toBe(200);
  });

  it('SSL redirect: 301 to itself without X-Forwarded-Proto, 200 with it — unless SECURE_PROXY_SSL_HEADER is gone', async () => {
    await stack.inject('ssl-redirect');
    const plain = await fetch(`${stack.peer.url}/api/v1/db/health/`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${stack.peer.port}/api/v1/db/health/`);
    const proxied = await fetch(`${stack.peer.url}/api/v1/db/health/`, { redirect: 'manual', headers: { 'X-Forwarded-Proto': 'https' } });
    expect(proxied.status).toBe(200);
    await stack.inject('ssl-header-ignored');
    const still = await fetch(`${stack.peer.url}/api/v1/db/health/`, { redirect: 'manual', headers: { 'X-Forwarded-Proto': 'https' } });
    expect(still.status).toBe(301);
  });

  it('metrics: the exporter answers at /metricsmetrics (not /metrics); with none mounted both are 404', async () => {
    await stack.heal();
    const mm = await fetch(`${stack.peer.url}/metricsmetrics`);
    expect(mm.status).toBe(200);
    expect(await mm.text()).toContain('django_http_');
    expect((await fetch(`${stack.peer.url}/metrics`)).status).toBe(404);
    await stack.inject('metrics-path-missing');
    expect((await fetch(`${stack.peer.url}/metricsmetrics`)).status).toBe(404);
  });
});
