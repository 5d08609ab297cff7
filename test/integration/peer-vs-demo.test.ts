/**
 * The demo backend mirrors the real stack; the Channels peer *is* Channels. The same client-visible probes run
 * against both: what must be the same is asserted equal, and every place where they differ is asserted as a
 * difference, with why — so a drift of either shows up here instead of in a diagnosis that passes on one only.
 */
import Redis from 'ioredis';
import WebSocket from 'ws';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { DEMO_SERVICE_ACCOUNT } from '../../src/demo/users';
import { ChannelsStack, PEER_PROBE_USER } from '../peers/channels-stack';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let stack: ChannelsStack;
let redis: RedisProcess;
let demo: DemoBackend;

beforeAll(async () => {
  stack = await ChannelsStack.start();
  redis = await startRedisServer();
  demo = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
}, 60000);

afterAll(async () => {
  await demo?.stop();
  await redis?.stop();
  await stack?.stop();
});

interface Target {
  url: string;
  wsUrl: string;
  redisUrl: string;
  email: string;
  password: string;
}

type Hs = { kind: 'open'; first: Record<string, unknown>; ws: WebSocket } | { kind: 'http'; status: number };

function handshake(url: string, origin?: string): Promise<Hs> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('unexpected-response', (_q, res) => (res.resume(), ws.terminate(), resolve({ kind: 'http', status: res.statusCode ?? 0 })));
    ws.once('message', (d) => resolve({ kind: 'open', first: JSON.parse(String(d)) as Record<string, unknown>, ws }));
    ws.once('error', () => undefined);
  });
}

/** What a client and the Redis keys show, reduced to comparable facts. */
async function observe(t: Target): Promise<Record<string, unknown>> {
  const o: Record<string, unknown> = {};
  const login = await fetch(`${t.url}/api/v1/auth/login/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: t.email, password: t.password }),
  });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('access_token='))!;
  o.login = login.status;
  o.cookieAttrs = cookie.split(';').slice(1).map((a) => a.trim().split('=')[0]!.toLowerCase()).filter((a) => a !== 'expires').sort();
  const jwt = cookie.split(';')[0]!.slice('access_token='.length);
  const anon = await fetch(`${t.url}/api/v1/auth/ws-connection-token/`, { method: 'POST' });
  o.anonToken = [anon.status, ((await anon.json()) as { detail?: string }).detail];
  o.getToken = (await fetch(`${t.url}/api/v1/auth/ws-connection-token/`, { headers: { Authorization: `Bearer ${jwt}` } })).status;
  const mint = async (): Promise<string> => {
    const r = await fetch(`${t.url}/api/v1/auth/ws-connection-token/`, { method: 'POST', headers: { Authorization: `Bearer ${jwt}` } });
    const b = (await r.json()) as { connection_token: string; expires_in: number };
    o.tokenShape = [r.status, b.connection_token.length, b.expires_in];
    return b.connection_token;
  };
  const cache = new Redis(`${t.redisUrl}/2`);
  const layer = new Redis(`${t.redisUrl}/3`);
  try {
    const token = await mint();
    const pttl = await cache.pttl(`allthrive:1:ws_conn_token:${token}`);
    o.tokenTtlOk = pttl > 55_000 && pttl <= 60_000;
    o.tokenPickle = [...((await cache.getBuffer(`allthrive:1:ws_conn_token:${token}`)) ?? Buffer.alloc(0)).subarray(0, 2)];
    const conv = `cmp-${Date.now()}`;
    const hs = await handshake(`${t.wsUrl}/ws/chat/${conv}/?connection_token=${token}`);
    o.chat = hs.kind === 'open' ? Object.keys(hs.first).sort() : hs.status;
    o.connectedTimestampZ = hs.kind === 'open' && String(hs.first.timestamp).endsWith('Z');
    const members = await layer.zrange(`asgi:group:chat_${conv}`, 0, '-1');
    o.groupMember = members.map((m) => /^specific\.[0-9a-f]{32}!\w+$/.test(m));
    if (hs.kind === 'open') await new Promise((r) => (hs.ws.once('close', r), hs.ws.close(1000)));
    o.reuse = ((await handshake(`${t.wsUrl}/ws/chat/${conv}-2/?connection_token=${token}`)) as { status?: number }).status;
    const noOrigin = await handshake(`${t.wsUrl}/ws/chat/${conv}-3/?connection_token=${await mint()}`);
    o.noOrigin = noOrigin.kind;
    if (noOrigin.kind === 'open') noOrigin.ws.close();
    const evil = await handshake(`${t.wsUrl}/ws/chat/${conv}-4/?connection_token=${await mint()}`, 'https://evil.example');
    o.badOrigin = evil.kind === 'http' ? evil.status : 'open';
    const health = await handshake(`${t.wsUrl}/ws/health/`);
    o.wsHealth = health.kind === 'open' ? health.first : health.status;
    o.liveness = (await fetch(`${t.url}/api/v1/health/`)).status;
    o.metricsmetrics = (await fetch(`${t.url}/metricsmetrics`)).status;
    o.metrics = (await fetch(`${t.url}/metrics`)).status;
  } finally {
    cache.disconnect();
    layer.disconnect();
  }
  return o;
}

describe('Channels peer vs demo backend', () => {
  it('the same client-visible contract, except where noted', async () => {
    const peer = await observe({ url: stack.peer.url, wsUrl: stack.peer.wsUrl, redisUrl: stack.redisUrl, email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password });
    const dem = await observe({ url: demo.url, wsUrl: demo.wsUrl, redisUrl: redis.url, email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password });

    // Known differences, asserted so that either side changing is noticed:
    // 1. The demo's default serves the exporter at /metrics too (its `metrics-wrong-path` fault is the real default);
    //    the real URLconf includes django-prometheus under `metrics`, so only /metricsmetrics answers.
    expect(peer.metrics).toBe(404);
    expect(dem.metrics).toBe(200);
    delete peer.metrics;
    delete dem.metrics;

    expect(dem).toEqual(peer);
    // And the shared facts are the real ones (target-system §2, §3, §12).
    expect(peer).toMatchObject({
      login: 200,
      anonToken: [401, 'Authentication credentials were not provided.'],
      getToken: 405,
      tokenShape: [200, 43, 60],
      tokenTtlOk: true,
      tokenPickle: [0x80, 5],
      chat: ['conversation_id', 'event', 'timestamp'],
      connectedTimestampZ: true,
      groupMember: [true],
      reuse: 403,
      noOrigin: 'open',
      badOrigin: 403,
      wsHealth: { status: 'ok', message: 'WebSocket healthy' },
      liveness: 200,
      metricsmetrics: 200,
    });
  });

  it("the access log: Daphne logs the path only, never the query string (so never the token); the demo's uvicorn-style log (local compose) does", async () => {
    const peerFrom = stack.peer.lines().length;
    const demoFrom = demo.logs.lines().length;
    const bogus = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll';
    await handshake(`${stack.peer.wsUrl}/ws/chat/cmp-log/?connection_token=${bogus}`);
    await handshake(`${demo.wsUrl}/ws/chat/cmp-log/?connection_token=${bogus}`);
    await stack.peer.waitForLine(/WSREJECT \/ws\/chat\/cmp-log\//, 5000, peerFrom);
    expect(stack.peer.lines().slice(peerFrom).some((l) => l.includes(bogus))).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    const demoLines = demo.logs.lines().slice(demoFrom);
    expect(demoLines.some((l) => /"WebSocket \/ws\/chat\/cmp-log\/\?connection_token=/.test(l))).toBe(true);
  });
});
