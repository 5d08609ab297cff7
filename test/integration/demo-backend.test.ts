/**
 * The demo backend against a real redis-server, over real HTTP and WebSocket: the AllThrive contract
 * (target-system §2, §3, §4, §5, §6, §12) and every fault switch's observable effect.
 */
import http from 'node:http';
import net from 'node:net';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { DEMO_NORMAL_USER, DEMO_SERVICE_ACCOUNT, FAULT_NAMES, startDemoBackend, type DemoBackend, type FaultName } from '../../src/demo';

// ---- client helpers (real HTTP / WebSocket, no redirects followed, no pooled sockets) ---------------------

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
  json<T = Record<string, unknown>>(): T;
}

function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: Date.now() - started, json: () => JSON.parse(text) });
      });
    });
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function login(base: string, email = DEMO_SERVICE_ACCOUNT.email, password = DEMO_SERVICE_ACCOUNT.password) {
  const res = await request(`${base}/api/v1/auth/login/`, { method: 'POST', body: { email, password } });
  const setCookie = res.headers['set-cookie'] ?? [];
  const access = /access_token=([^;]+)/.exec(setCookie.join('\n'))?.[1] ?? '';
  return { access, setCookie, res };
}

function fetchToken(base: string, access: string, body?: unknown): Promise<HttpResult> {
  return request(`${base}/api/v1/auth/ws-connection-token/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}` },
    ...(body !== undefined ? { body } : {}),
  });
}

type Frame = Record<string, unknown>;
type Handshake =
  | { kind: 'open'; ws: WebSocket; next: (timeoutMs?: number) => Promise<Frame>; closed: Promise<{ code: number }>; ms: number }
  | { kind: 'http'; status: number; statusMessage: string; ms: number }
  | { kind: 'timeout'; ms: number };

function handshake(url: string, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Handshake> {
  const started = Date.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: opts.headers ?? {}, followRedirects: false, perMessageDeflate: false });
    const frames: Frame[] = [];
    const waiters: Array<(f: Frame) => void> = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as Frame;
      const w = waiters.shift();
      if (w) w(f);
      else frames.push(f);
    });
    const closed = new Promise<{ code: number }>((r) => ws.once('close', (code) => r({ code })));
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ kind: 'timeout', ms: Date.now() - started });
    }, opts.timeoutMs ?? 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({
        kind: 'open',
        ws,
        closed,
        ms: Date.now() - started,
        next: (timeoutMs = 3000) =>
          new Promise((res, rej) => {
            const f = frames.shift();
            if (f) return res(f);
            const t = setTimeout(() => rej(new Error('no frame')), timeoutMs);
            waiters.push((x) => (clearTimeout(t), res(x)));
          }),
      });
    });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      resolve({ kind: 'http', status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', ms: Date.now() - started });
      req.destroy();
    });
    ws.on('error', () => undefined);
  });
}

function opened(h: Handshake): Extract<Handshake, { kind: 'open' }> {
  if (h.kind !== 'open') throw new Error(`expected 101, got ${JSON.stringify(h)}`);
  return h;
}

async function closeWs(h: Handshake, code = 1000): Promise<void> {
  if (h.kind !== 'open') return;
  h.ws.close(code);
  await h.closed;
}

/** The raw bytes a server answers to a WebSocket handshake, up to close. */
function rawHandshake(port: number, path: string, extraHeaders = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
      );
    });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy());
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const decodeJwt = (t: string) => JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

// ---- fixtures ----------------------------------------------------------------------------------------------

let redis: RedisProcess;
let demo: DemoBackend;
const dbClients = new Map<number, Redis>();
const db = (n: number): Redis => {
  let c = dbClients.get(n);
  if (!c) dbClients.set(n, (c = new Redis(redis.url, { db: n, maxRetriesPerRequest: 1 })));
  return c;
};
let access = '';
const uid = DEMO_SERVICE_ACCOUNT.id;
const counterKey = `allthrive:1:ws_connections:user:${uid}`;
const tokenKey = (t: string) => `allthrive:1:ws_conn_token:${t}`;

async function newToken(b: DemoBackend = demo, acc = access): Promise<string> {
  const r = await fetchToken(b.url, acc);
  expect(r.status).toBe(200);
  return r.json<{ connection_token: string }>().connection_token;
}

const chatUrl = (b: DemoBackend, conv: string, query: string) => `${b.wsUrl}/ws/chat/${conv}/?${query}`;

beforeAll(async () => {
  redis = await startRedisServer();
  demo = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000, slowHandshakeMs: 600 });
  access = (await login(demo.url)).access;
});

afterAll(async () => {
  await demo?.stop();
  for (const c of dbClients.values()) c.disconnect();
  await redis?.stop();
});

afterEach(async () => {
  demo.faults.clear();
  await demo.faults.settled();
});

// ---- the healthy contract ------------------------------------------------------------------------------

describe('HTTP endpoints', () => {
  test('liveness and DB health', async () => {
    const h = await request(`${demo.url}/api/v1/health/`);
    expect(h.status).toBe(200);
    expect(h.json()).toEqual({ status: 'healthy' });
    const d = await request(`${demo.url}/api/v1/db/health/`);
    expect(d.status).toBe(200);
    expect(d.json()).toEqual({ status: 'ok' });
    // DRF throttles write their history into the cache DB.
    expect(await db(2).exists('allthrive:1:throttle_anon_127.0.0.1')).toBe(1);
  });

  test('APPEND_SLASH redirect and Django 404 page', async () => {
    const r = await request(`${demo.url}/api/v1/db/health`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/api/v1/db/health/');
    const nf = await request(`${demo.url}/nope/`);
    expect(nf.status).toBe(404);
    expect(nf.headers['content-type']).toContain('text/html');
  });

  test('login: 200 without a token in the body, tokens as cookies; wrong password 401; username accepted', async () => {
    const { res, setCookie, access: jwt } = await login(demo.url);
    expect(res.status).toBe(200);
    const body = res.json<{ success: boolean; message: string; data: { user: { id: number; email: string } } }>();
    expect(body.success).toBe(true);
    expect(body.data.user).toMatchObject({ id: uid, email: DEMO_SERVICE_ACCOUNT.email });
    expect(res.body).not.toContain(jwt);
    const ac = setCookie.find((c) => c.startsWith('access_token='));
    expect(ac).toMatch(/; HttpOnly;/);
    expect(ac).toMatch(/; SameSite=Lax/);
    expect(ac).toMatch(/; Domain=localhost;/);
    expect(ac).toMatch(/; Path=\//);
    expect(ac).toMatch(/Max-Age=900/);
    expect(ac).not.toMatch(/Secure/); // DEBUG=True locally
    expect(setCookie.some((c) => c.startsWith('refresh_token='))).toBe(true);
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ token_type: 'access', user_id: uid, session_version: 1 });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
    expect(JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });

    const bad = await login(demo.url, DEMO_SERVICE_ACCOUNT.email, 'wrong');
    expect(bad.res.status).toBe(401);
    expect(bad.res.json()).toHaveProperty('error');
    expect(bad.access).toBe('');
    const byName = await login(demo.url, DEMO_NORMAL_USER.username, DEMO_NORMAL_USER.password);
    expect(byName.res.status).toBe(200);
  });

  test('token endpoint: 401s, 405, Bearer and cookie auth', async () => {
    const none = await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    const bad = await fetchToken(demo.url, 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.bm9wZQ');
    expect(bad.status).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'token_not_valid' });
    const get = await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { headers: { authorization: `Bearer ${access}` } });
    expect(get.status).toBe(405);
    const cookie = await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { method: 'POST', headers: { cookie: `access_token=${access}` } });
    expect(cookie.status).toBe(200);
    // An invalid cookie is silently ignored → no credentials.
    const badCookie = await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { method: 'POST', headers: { cookie: 'access_token=garbage' } });
    expect(badCookie.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  test('token issuance: 43-char token stored at allthrive:1:ws_conn_token:<t> in DB 2 with TTL ≤ 60, logs in order', async () => {
    const since = Date.now();
    const r = await fetchToken(demo.url, access);
    expect(r.status).toBe(200);
    const body = r.json<{ connection_token: string; expires_in: number; connection_id: string }>();
    expect(body.connection_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.expires_in).toBe(60);
    expect(body.connection_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await db(2).exists(tokenKey(body.connection_token))).toBe(1);
    const ttl = await db(2).ttl(tokenKey(body.connection_token));
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await db(4).exists(tokenKey(body.connection_token))).toBe(0);
    // The value is a pickle (protocol 5), not JSON.
    const raw = await db(2).getBuffer(tokenKey(body.connection_token));
    expect(raw?.subarray(0, 2)).toEqual(Buffer.from([0x80, 0x05]));
    const hc = await db(2).ttl('allthrive:1:_ws_token_health_check');
    expect(hc).toBeGreaterThan(0);
    expect(hc).toBeLessThanOrEqual(5);
    expect(await db(2).exists(`allthrive:1:throttle_user_${uid}`)).toBe(1);
    const lines = demo.logs.lines(since);
    const api = lines.findIndex((l) => l.includes('[WS_TOKEN_API] Generated connection token for user=ws-doctor'));
    // The service logs while generating (core/agents/ws_connection_tokens.py), the view after it returns.
    const svc = lines.findIndex((l) => /\[WS_TOKEN\] Generated connection token: user=ws-doctor \(id=\d+\), connection_id=\S+, ttl=60s$/.test(l));
    expect(api).toBeGreaterThan(0);
    expect(svc).toBeGreaterThanOrEqual(0);
    expect(api).toBeGreaterThan(svc);
    expect(lines[api]).toMatch(/\[WS_TOKEN_API\] Generated connection token for user=ws-doctor \(id=\d+\), connection_id=\S+$/);
    expect(lines[api]).toMatch(/^INFO \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[WS_TOKEN_API\]/);

    const given = await fetchToken(demo.url, access, { connection_id: 'client-123' });
    expect(given.json()).toMatchObject({ connection_id: 'client-123' });
  });

  test('metrics at /metricsmetrics and /metrics count the demo responses', async () => {
    await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { method: 'POST' }); // a 401
    for (const path of ['/metricsmetrics', '/metrics']) {
      const m = await request(`${demo.url}${path}`);
      expect(m.status).toBe(200);
      expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(m.body).toMatch(/django_http_requests_total_by_view_transport_method_total\{view="ws_connection_token",transport="http",method="POST"\} \d+/);
      expect(m.body).toMatch(/django_http_responses_total_by_status_total\{status="401"\} [1-9]/);
      expect(m.body).toContain('django_http_requests_latency_seconds_by_view_method_bucket');
      expect(m.body).toContain('# TYPE allthrive_rate_limit_hits_total counter');
      expect(m.body).toMatch(/^allthrive_active_conversations 0$/m);
      expect(m.body).toContain('# TYPE allthrive_tokens_used_total counter');
      expect(m.body).toMatch(/^process_resident_memory_bytes \d+/m);
    }
  });
});

describe('WebSocket endpoints', () => {
  test('/ws/health/: 101, one frame, close 1000', async () => {
    const h = opened(await handshake(`${demo.wsUrl}/ws/health/`));
    expect(await h.next()).toEqual({ status: 'ok', message: 'WebSocket healthy' });
    expect((await h.closed).code).toBe(1000);
  });

  test('chat handshake with a connection token: connected, ping/pong, counters, group, logs in order, disconnect', async () => {
    const since = Date.now();
    const token = await newToken();
    const conv = `probe-${Date.now()}`;
    const h = opened(await handshake(chatUrl(demo, conv, `connection_token=${token}`)));
    const connected = await h.next();
    expect(connected).toMatchObject({ event: 'connected', conversation_id: conv });
    expect(connected.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    h.ws.send(JSON.stringify({ type: 'ping' }));
    const pong = await h.next();
    expect(pong.event).toBe('pong');
    expect(typeof pong.timestamp).toBe('string');

    expect(await db(2).exists(tokenKey(token))).toBe(0);
    // DEBUG on (local compose): the RateLimiter skips its counters entirely (core/agents/security.py).
    expect(await db(2).get(counterKey)).toBeNull();
    expect(await db(2).get(`allthrive:1:ws_rate:user:${uid}`)).toBeNull();
    const members = await db(3).zrange(`asgi:group:chat_${conv}`, 0, '-1');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatch(/^specific\.[0-9a-f]{32}![0-9a-f]{32}$/);
    expect(await db(3).ttl(`asgi:group:chat_${conv}`)).toBeGreaterThan(86000);

    await closeWs(h);
    await waitFor(() => demo.logs.grep(`WebSocket disconnected: user=${uid}, code=1000`, since).length > 0);
    expect(await db(3).exists(`asgi:group:chat_${conv}`)).toBe(0);

    const lines = demo.logs.lines(since);
    const order = [
      '[WS_TOKEN] Generated',
      '[WS_TOKEN_API] Generated',
      `[WS_TOKEN] Successfully consumed connection token: user=ws-doctor (id=${uid}), connection_id=`,
      `[WS_AUTH] Authenticated via connection token: user=ws-doctor, path=/ws/chat/${conv}/`,
      `WebSocket connect attempt: origin='', host='127.0.0.1:${demo.port}', origin_allowed=False, user=${uid}`,
      `WebSocket connected: user=${uid}, conversation=${conv}`,
      `WebSocket disconnected: user=${uid}, code=1000`,
    ].map((m) => lines.findIndex((l) => l.includes(m)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // uvicorn (local compose) logs the full query string: the live token leaks into the access log.
    expect(lines.some((l) => l.startsWith('INFO:     127.0.0.1:') && l.includes(`"WebSocket /ws/chat/${conv}/?connection_token=${token}" [accepted]`))).toBe(true);
  });

  test('single use: a replayed token is a raw 403 and the key is gone', async () => {
    const since = Date.now();
    const token = await newToken();
    const first = opened(await handshake(chatUrl(demo, 'single-use', `connection_token=${token}`)));
    await first.next();
    await closeWs(first);
    const raw = await rawHandshake(demo.port, `/ws/chat/single-use/?connection_token=${token}`);
    expect(raw).toBe('HTTP/1.1 403 Access denied\r\n\r\n');
    expect(await db(2).exists(tokenKey(token))).toBe(0);
    expect(demo.logs.grep(`[WS_TOKEN] Invalid or expired token: ${token.slice(0, 8)}...`, since)).toHaveLength(1);
    expect(demo.logs.grep('[WS_AUTH] Invalid connection token for path=/ws/chat/single-use/', since)).toHaveLength(1);
    expect(demo.logs.grep('Unauthenticated WebSocket connection attempt for conversation single-use', since)).toHaveLength(1);
    expect(demo.logs.grep(/"WebSocket \/ws\/chat\/single-use\/\?connection_token=\S+" 403$/, since)).toHaveLength(1);
  });

  test('bogus and missing tokens → 403; Authorization header ignored; JWT cookie and ?token= connect', async () => {
    for (const q of ['connection_token=bogusbogusbogus', 'x=1']) {
      const h = await handshake(chatUrl(demo, 'anon', q));
      expect(h).toMatchObject({ kind: 'http', status: 403, statusMessage: 'Access denied' });
    }
    const hdr = await handshake(chatUrl(demo, 'anon', 'x=1'), { headers: { authorization: `Bearer ${access}` } });
    expect(hdr).toMatchObject({ kind: 'http', status: 403 });
    const viaCookie = opened(await handshake(chatUrl(demo, 'jwt-cookie', 'x=1'), { headers: { cookie: `access_token=${access}` } }));
    expect((await viaCookie.next()).event).toBe('connected');
    await closeWs(viaCookie);
    const viaQuery = opened(await handshake(chatUrl(demo, 'jwt-query', `token=${access}`)));
    expect((await viaQuery.next()).event).toBe('connected');
    await closeWs(viaQuery);
    expect(demo.logs.grep('[WS_AUTH] Authenticated via JWT: user=ws-doctor, path=/ws/chat/jwt-query/')).toHaveLength(1);
  });

  test('origin rule: allowed origins and sub-domains pass, others are 403 (token consumed)', async () => {
    const ok = opened(await handshake(chatUrl(demo, 'o1', `connection_token=${await newToken()}`), { headers: { origin: 'http://localhost:3000' } }));
    await ok.next();
    await closeWs(ok);
    const sub = opened(await handshake(chatUrl(demo, 'o2', `connection_token=${await newToken()}`), { headers: { origin: 'https://app.allthrive.ai' } }));
    await closeWs(sub);
    const since = Date.now();
    const token = await newToken();
    const bad = await handshake(chatUrl(demo, 'o3', `connection_token=${token}`), { headers: { origin: 'http://localhost:8000' } });
    expect(bad).toMatchObject({ kind: 'http', status: 403 });
    expect(demo.logs.grep("origin='http://localhost:8000', host=", since)[0]).toContain('origin_allowed=False');
    expect(demo.logs.grep('WebSocket rejected - unauthorized origin', since)).toHaveLength(1);
    expect(await db(2).exists(tokenKey(token))).toBe(0);
  });

  test('chat message → task_queued, processing_started, chunks, completed (simulated Celery)', async () => {
    const h = opened(await handshake(chatUrl(demo, 'ava-e2e', `connection_token=${await newToken()}`)));
    await h.next();
    h.ws.send(JSON.stringify({ message: 'ping' }));
    const seen: Frame[] = [];
    for (;;) {
      const f = await h.next();
      seen.push(f);
      if (f.event === 'completed' || f.event === 'error') break;
    }
    expect(seen[0]).toMatchObject({ event: 'task_queued' });
    expect(seen[1]).toMatchObject({ event: 'processing_started', type: 'chat.message' });
    expect(seen.some((f) => f.event === 'chunk' && typeof f.chunk === 'string')).toBe(true);
    expect(seen[seen.length - 1]).toMatchObject({ event: 'completed', project_created: false });
    h.ws.send('not json');
    expect(await h.next()).toMatchObject({ event: 'error' });
    await closeWs(h);
  });

  test('unknown route → HTTP 500 late, "No route found for path"', async () => {
    const since = Date.now();
    const raw = rawHandshake(demo.port, '/ws/nope/');
    const started = Date.now();
    expect(await raw).toBe('HTTP/1.1 500 Internal server error\r\n\r\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(demo.logs.grep("ValueError: No route found for path 'ws/nope/'.", since)).toHaveLength(1);
  });
});

// ---- fault switches ------------------------------------------------------------------------------------

describe('fault switches', () => {
  test('every fault has a description; unknown names are refused', () => {
    expect(demo.faults.list().map((f) => f.name)).toEqual([...FAULT_NAMES]);
    expect(FAULT_NAMES).toHaveLength(23);
    expect(() => demo.faults.set('nope' as FaultName, true)).toThrow(/unknown fault/);
    demo.faults.set('db-down', true);
    expect(demo.faults.active()).toEqual(['db-down']);
  });

  test('redis-down: authenticated token POST 500 page, unauthenticated 401, earlier token → 403 + Error 111, health fine, recovers', async () => {
    const early = await newToken();
    const since = Date.now();
    demo.faults.set('redis-down', true);
    const t = await fetchToken(demo.url, access);
    expect(t.status).toBe(500);
    expect(t.headers['content-type']).toContain('text/html');
    const anon = await request(`${demo.url}/api/v1/auth/ws-connection-token/`, { method: 'POST' });
    expect(anon.status).toBe(401);
    expect((await request(`${demo.url}/api/v1/health/`)).status).toBe(200);
    expect((await request(`${demo.url}/api/v1/db/health/`)).status).toBe(500); // DRF throttle reads the cache
    expect((await login(demo.url)).res.status).toBe(500); // django-ratelimit reads the cache
    const chat = await handshake(chatUrl(demo, 'rd', `connection_token=${early}`));
    expect(chat).toMatchObject({ kind: 'http', status: 403 });
    expect(demo.logs.grep('ERROR', since).some((l) => l.includes('Unexpected error validating connection token: Error 111 connecting to redis:6379. Connection refused.'))).toBe(true);
    const viaJwt = await handshake(chatUrl(demo, 'rd', `token=${access}`));
    expect(viaJwt).toMatchObject({ kind: 'http', status: 500 });
    const health = opened(await handshake(`${demo.wsUrl}/ws/health/`));
    expect((await health.next()).status).toBe('ok');
    expect(await db(2).exists(tokenKey(early))).toBe(1); // the redis-server itself was never touched
    demo.faults.set('redis-down', false);
    expect((await fetchToken(demo.url, access)).status).toBe(200);
  });

  test('a really stopped Redis fails fast (no hang) and the backend recovers when it returns', async () => {
    const r2 = await startRedisServer();
    const b = await startDemoBackend({ redisUrl: r2.url, loginRatePerMinute: 1000 });
    try {
      const acc = (await login(b.url)).access;
      await r2.stop();
      const t = await fetchToken(b.url, acc);
      expect(t.status).toBe(500);
      expect(t.ms).toBeLessThan(3000);
      expect(b.logs.grep(/Error 111 connecting to 127\.0\.0\.1:\d+\. Connection refused\./).length).toBeGreaterThan(0);
      const r3 = await startRedisServer({ port: r2.port });
      try {
        await waitFor(async () => (await fetchToken(b.url, acc)).status === 200, 8000);
      } finally {
        await b.stop();
        await r3.stop();
      }
    } finally {
      await b.stop();
      await r2.stop();
    }
  });

  test('token-500 and token-503', async () => {
    demo.faults.set('token-500', true);
    const a = await fetchToken(demo.url, access);
    expect(a.status).toBe(500);
    expect(a.json()).toMatchObject({ error: 'Token generation failed', code: 'TOKEN_GENERATION_ERROR' });
    expect(typeof a.json().details).toBe('string');
    demo.faults.set('token-500', false);
    demo.faults.set('token-503', true);
    const b = await fetchToken(demo.url, access);
    expect(b.status).toBe(503);
    expect(b.json()).toEqual({ error: 'Cache service unavailable', code: 'CACHE_UNAVAILABLE' });
    expect(demo.logs.grep('[WS_TOKEN_API] Redis health check failed')).not.toHaveLength(0);
  });

  test('wrong-cache-db: token in DB 4, not DB 2; handshake still works', async () => {
    demo.faults.set('wrong-cache-db', true);
    const token = await newToken();
    expect(await db(2).exists(tokenKey(token))).toBe(0);
    expect(await db(4).exists(tokenKey(token))).toBe(1);
    const h = opened(await handshake(chatUrl(demo, 'wcd', `connection_token=${token}`)));
    expect((await h.next()).event).toBe('connected');
    await closeWs(h);
  });

  test('ssl-redirect: 301 to itself on https unless X-Forwarded-Proto: https; liveness and WS untouched', async () => {
    demo.faults.set('ssl-redirect', true);
    const r = await request(`${demo.url}/api/v1/db/health/?x=1`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://127.0.0.1:${demo.port}/api/v1/db/health/?x=1`);
    const t = await fetchToken(demo.url, access);
    expect(t.status).toBe(301);
    expect((await request(`${demo.url}/api/v1/db/health/`, { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(200);
    expect((await request(`${demo.url}/api/v1/health/`)).status).toBe(200);
    expect((await request(`${demo.url}/ws/health/`)).status).toBe(301); // Upgrade lost at a proxy
    const h = opened(await handshake(`${demo.wsUrl}/ws/health/`));
    expect((await h.next()).status).toBe('ok');
  });

  test('origin-rejected: the front end\'s Origin → 403 (token consumed first); no Origin still passes, as in the real consumer', async () => {
    demo.faults.set('origin-rejected', true);
    const since = Date.now();
    const token = await newToken();
    expect(await handshake(chatUrl(demo, 'or', `connection_token=${token}`), { headers: { origin: 'http://localhost:3000' } })).toMatchObject({
      kind: 'http',
      status: 403,
    });
    expect(await db(2).exists(tokenKey(token))).toBe(0);
    const none = opened(await handshake(chatUrl(demo, 'or', `connection_token=${await newToken()}`)));
    expect((await none.next()).event).toBe('connected');
    await closeWs(none);
    expect(demo.logs.grep("WebSocket rejected - unauthorized origin: origin='http://localhost:3000', allowed_domains={", since)).toHaveLength(1);
    expect(demo.logs.grep('[WS_TOKEN] Successfully consumed', since)).toHaveLength(2);
  });

  test('token-expired: 403 + Invalid or expired token', async () => {
    demo.faults.set('token-expired', true);
    const since = Date.now();
    const token = await newToken();
    await new Promise((r) => setTimeout(r, 20));
    expect(await db(2).exists(tokenKey(token))).toBe(0);
    expect(await handshake(chatUrl(demo, 'te', `connection_token=${token}`))).toMatchObject({ kind: 'http', status: 403 });
    expect(demo.logs.grep(`[WS_TOKEN] Invalid or expired token: ${token.slice(0, 8)}...`, since)).toHaveLength(1);
  });

  test('token-reuse-allowed: a replay connects and the key stays', async () => {
    demo.faults.set('token-reuse-allowed', true);
    const token = await newToken();
    for (let i = 0; i < 2; i++) {
      const h = opened(await handshake(chatUrl(demo, 'reuse', `connection_token=${token}`)));
      await h.next();
      await closeWs(h);
    }
    expect(await db(2).exists(tokenKey(token))).toBe(1);
  });

  test('slow-handshake: the chat handshake is answered after the configured delay; /ws/health/ is not', async () => {
    demo.faults.set('slow-handshake', true);
    const h = opened(await handshake(chatUrl(demo, 'slow', `connection_token=${await newToken()}`)));
    expect(h.ms).toBeGreaterThanOrEqual(550);
    await closeWs(h);
    const hh = opened(await handshake(`${demo.wsUrl}/ws/health/`));
    expect(hh.ms).toBeLessThan(500);
  });

  test('metrics-wrong-path and metrics-path-missing', async () => {
    demo.faults.set('metrics-wrong-path', true);
    expect((await request(`${demo.url}/metricsmetrics`)).status).toBe(200);
    const m = await request(`${demo.url}/metrics`);
    expect(m.status).toBe(404);
    expect(m.body).toContain('Page not found');
    demo.faults.set('metrics-path-missing', true);
    expect((await request(`${demo.url}/metricsmetrics`)).status).toBe(404);
    expect((await request(`${demo.url}/metrics`)).status).toBe(404);
  });

  test('db-down: db health 503, login 500, liveness 200', async () => {
    demo.faults.set('db-down', true);
    const d = await request(`${demo.url}/api/v1/db/health/`);
    expect(d.status).toBe(503);
    expect(d.json()).toMatchObject({ status: 'error' });
    expect((await login(demo.url)).res.status).toBe(500);
    expect((await fetchToken(demo.url, access)).status).toBe(500);
    expect((await request(`${demo.url}/api/v1/health/`)).status).toBe(200);
  });

  test('backend-hang: TCP accepted, nothing answered (HTTP and WS)', async () => {
    demo.faults.set('backend-hang', true);
    await expect(request(`${demo.url}/api/v1/health/`, { timeoutMs: 400 })).rejects.toThrow('timeout');
    expect(await handshake(`${demo.wsUrl}/ws/health/`, { timeoutMs: 400 })).toMatchObject({ kind: 'timeout' });
    demo.faults.set('backend-hang', false);
    expect((await request(`${demo.url}/api/v1/health/`)).status).toBe(200);
  });

  test('channel-layer-down: chat handshake 500 after ~700 ms, /ws/health/ still healthy', async () => {
    demo.faults.set('channel-layer-down', true);
    const since = Date.now();
    const token = await newToken();
    const h = await handshake(chatUrl(demo, 'cl', `connection_token=${token}`));
    expect(h).toMatchObject({ kind: 'http', status: 500, statusMessage: 'Internal server error' });
    expect(h.ms).toBeGreaterThanOrEqual(600);
    // local compose runs uvicorn: its wording, with the redis-py exception in the traceback
    expect(demo.logs.grep('ERROR:    Exception in ASGI application', since)).toHaveLength(1);
    expect(demo.logs.grep('redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.', since)).toHaveLength(1);
    const health = opened(await handshake(`${demo.wsUrl}/ws/health/`));
    expect((await health.next()).status).toBe('ok');
  });

  test('leaked-counter: counter = 5 in the cache DB; in debug the limit is not enforced', async () => {
    demo.faults.set('leaked-counter', true);
    await demo.faults.settled();
    expect(await db(2).get(counterKey)).toBe('5');
    const h = opened(await handshake(chatUrl(demo, 'lc', `connection_token=${await newToken()}`)));
    await h.next();
    // DEBUG: the limit is not enforced and the counter not touched.
    expect(await db(2).get(counterKey)).toBe('5');
    await closeWs(h);
    demo.faults.set('leaked-counter', false);
    await demo.faults.settled();
    expect(await db(2).exists(counterKey)).toBe(0);
  });
});

// ---- production mode (DEBUG=False, Daphne) -------------------------------------------------------------

describe('production mode (debug: false)', () => {
  let prod: DemoBackend;
  let prodAccess = '';
  beforeAll(async () => {
    prod = await startDemoBackend({ redisUrl: redis.url, debug: false, loginRatePerMinute: 1000, lateErrorMs: 300 });
    const l = await login(prod.url);
    prodAccess = l.access;
    expect(l.setCookie.every((c) => c.endsWith('; Secure'))).toBe(true);
  });
  afterAll(async () => {
    await prod?.stop();
  });
  beforeEach(async () => {
    // The debug-mode tests above opened many sockets as this user: with DEBUG off the 10/min rate limit applies.
    await db(2).del(counterKey, `allthrive:1:ws_rate:user:${uid}`);
  });
  afterEach(async () => {
    prod.faults.clear();
    await prod.faults.settled();
  });

  test('Daphne start-up and access lines: path only, never the query string', async () => {
    expect(prod.logs.grep(`Listening on TCP address 127.0.0.1:${prod.port}`)).toHaveLength(1);
    const since = Date.now();
    const token = await newToken(prod, prodAccess);
    const h = opened(await handshake(chatUrl(prod, 'prod', `connection_token=${token}`)));
    await h.next();
    await closeWs(h);
    await waitFor(() => prod.logs.grep('WSDISCONNECT /ws/chat/prod/', since).length > 0);
    // The disconnect's counter decrement lands after its log line: wait for it, or it can arrive after the next
    // test has planted its leaked counter (5 → 4) and let that test's handshake through.
    await waitFor(async () => ((await db(2).get(counterKey)) ?? '0') === '0');
    const access = prod.logs.lines(since).filter((l) => l.includes('"WS'));
    expect(access.map((l) => /"(WS\w+)/.exec(l)?.[1])).toEqual(['WSCONNECTING', 'WSCONNECT', 'WSDISCONNECT']);
    expect(prod.logs.lines(since).join('\n')).not.toContain(token);
  });

  test('leaked-counter enforced: one 403, counter drops to 4', async () => {
    prod.faults.set('leaked-counter', true);
    await prod.faults.settled();
    const since = Date.now();
    const h = await handshake(chatUrl(prod, 'lc', `connection_token=${await newToken(prod, prodAccess)}`));
    expect(h).toMatchObject({ kind: 'http', status: 403 });
    await waitFor(async () => (await db(2).get(counterKey)) === '4');
    expect(prod.logs.grep(`[SECURITY] User ${uid} exceeded WebSocket connection limit: 5`, since)).toHaveLength(1);
    expect(prod.logs.grep(`WebSocket connection limit exceeded for user ${uid}: Maximum 5 concurrent connections allowed`, since)).toHaveLength(1);
    expect(prod.logs.grep(/WSREJECT \/ws\/chat\/lc\//, since)).toHaveLength(1);
  });

  test('channel-layer-down → "Exception inside application" (Daphne wording)', async () => {
    prod.faults.set('channel-layer-down', true);
    const since = Date.now();
    const h = await handshake(chatUrl(prod, 'cl', `connection_token=${await newToken(prod, prodAccess)}`));
    expect(h).toMatchObject({ kind: 'http', status: 500 });
    expect(prod.logs.grep(/^ERROR .* Exception inside application: Error 111 connecting to redis:6379\. Connection refused\.$/, since)).toHaveLength(1);
  });
});

// ---- login rate limit (last: it spends this IP's budget for the minute) --------------------------------

test('login is rate limited to 10/min per IP → 429', async () => {
  const b = await startDemoBackend({ redisUrl: redis.url });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 22 && !statuses.includes(429); i++) statuses.push((await login(b.url)).res.status);
    expect(statuses).toContain(429);
    const first429 = statuses.indexOf(429);
    expect(statuses.slice(0, first429).every((s) => s === 200)).toBe(true);
    expect(first429).toBeGreaterThanOrEqual(10);
    expect(b.logs.grep('WARNING').some((l) => l.includes('Too Many Requests: /api/v1/auth/login/'))).toBe(true);
  } finally {
    await b.stop();
  }
});

test('DRF anon throttle → 429 with Retry-After and DRF detail (own cache DB)', async () => {
  const b = await startDemoBackend({ redisUrl: redis.url, dbs: { cache: 5 }, drfRatesPerMinute: { anon: 3 } });
  try {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < 4; i++) statuses.push((last = await request(`${b.url}/api/v1/db/health/`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.json<{ detail: string }>().detail).toMatch(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(await db(5).exists('allthrive:1:throttle_anon_127.0.0.1')).toBe(1);
  } finally {
    await b.stop();
  }
});
