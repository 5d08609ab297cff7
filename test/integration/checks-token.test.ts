/**
 * The authenticated chain — `token-issuance` → `token-storage` → `chat-handshake` — through the real runner,
 * against the demo backend on a real redis-server: healthy, and under every fault that touches it.
 */
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT, type FaultName } from '../../src/demo';
import { freePort } from '../../src/util/net';
import type { Finding } from '../../src/checks/types';
import type { Targets } from '../../src/targets/targets';
import { expectNoSecrets, run, targetsFor, testEnv } from './checks-support';

type Demo = Awaited<ReturnType<typeof startDemoBackend>>;

let redis: RedisProcess;
let demo: Demo;
let targets: Targets;

const startDemo = (port?: number) =>
  startDemoBackend({ redisUrl: redis.url, slowHandshakeMs: 1200, debug: false, ...(port !== undefined ? { port } : {}) });

beforeAll(async () => {
  redis = await startRedisServer();
  demo = await startDemo();
  targets = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, DEMO_SERVICE_ACCOUNT.password));
});

afterAll(async () => {
  await targets?.close();
  await demo?.stop();
  await redis?.stop();
});

afterEach(async () => {
  demo.faults.clear();
  await demo.faults.settled?.();
});

async function chain(fault?: FaultName, t: Targets = targets): Promise<Record<string, Finding>> {
  if (fault) {
    // Log in first (cached for later runs), so the fault hits the step under test, not the login.
    await t.session.accessToken();
    demo.faults.set(fault, true);
    await demo.faults.settled?.();
  }
  const f = await run(t, ['chat-handshake']);
  for (const x of Object.values(f)) expectNoSecrets(x);
  return f;
}

function expectFinding(f: Finding | undefined, status: Finding['status'], signals?: string[]): void {
  expect(f).toBeDefined();
  expect({ check: f?.check, status: f?.status, signals: f?.signals }).toEqual({ check: f?.check, status, signals });
}

test('healthy: token issued and stored, handshake connects, pings, and the token is single-use', async () => {
  const f = await chain();
  expectFinding(f['token-issuance'], 'ok');
  expect(f['token-issuance']?.evidence.tokenLength).toBe(43);
  expect(f['token-issuance']?.evidence.loginCached).toBe(false);
  expectFinding(f['token-storage'], 'ok');
  expect(f['token-storage']?.evidence.pttlMs).toBeGreaterThan(30_000);
  expect(f['token-storage']?.evidence.pttlMs).toBeLessThanOrEqual(60_000);
  expectFinding(f['chat-handshake'], 'ok');
  expect(f['chat-handshake']?.evidence).toMatchObject({ reuseStatus: 403, keyGone: true, closeCode: 1000 });
  expect(typeof f['chat-handshake']?.evidence.pongMs).toBe('number');

  // The next run reuses the login cookie.
  const again = await chain();
  expectFinding(again['chat-handshake'], 'ok');
  expect(again['token-issuance']?.evidence.loginCached).toBe(true);
});

test('no password configured → unknown with how to set it; nothing downstream can run', async () => {
  const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined), 'staging-eu');
  try {
    const f = await run(t, ['chat-handshake']);
    expectFinding(f['token-issuance'], 'unknown', ['no-probe-credentials']);
    expect(f['token-issuance']?.summary).toContain('WS_DOCTOR_STAGING_EU_SERVICE_PASSWORD');
    expect(f['token-storage']?.status).toBe('unknown');
    expect(f['chat-handshake']?.status).toBe('unknown');
  } finally {
    await t.close();
  }
});

test('wrong password → fail credentials', async () => {
  const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, 'not-the-password'));
  try {
    const f = await run(t, ['token-issuance']);
    expectFinding(f['token-issuance'], 'fail', ['credentials']);
    expectNoSecrets(f['token-issuance']!, 'not-the-password');
  } finally {
    await t.close();
  }
});

test('token-500 → fail token-generation-error (the view\'s own JSON 500, not Django\'s page)', async () => {
  const f = await chain('token-500');
  expectFinding(f['token-issuance'], 'fail', ['token-generation-error']);
  expect(f['token-storage']?.status).toBe('unknown');
  expect(f['chat-handshake']?.status).toBe('unknown');
});

test('token-503 → fail token-endpoint-503 with the CACHE_* code', async () => {
  const f = await chain('token-503');
  expectFinding(f['token-issuance'], 'fail', ['token-endpoint-503']);
  expect(f['token-issuance']?.evidence.code).toBe('CACHE_UNAVAILABLE');
});

test('redis-down (backend cannot reach its Redis) → token endpoint 500; the bot itself still reaches Redis', async () => {
  const f = await chain('redis-down');
  expectFinding(f['token-issuance'], 'fail', ['token-endpoint-500']);
  const redisCheck = await run(targets, ['redis']);
  expect(redisCheck.redis?.signals ?? []).not.toContain('redis-down');
});

test('db-down → token endpoint 500', async () => {
  const f = await chain('db-down');
  expectFinding(f['token-issuance'], 'fail', ['token-endpoint-500']);
});

test('ssl-redirect → token request 301 to itself: fail ssl-redirect', async () => {
  const f = await chain('ssl-redirect');
  expectFinding(f['token-issuance'], 'fail', ['ssl-redirect']);
  expect(f['token-issuance']?.evidence.selfRedirect).toBe(true);
});

test('backend-hang → token request times out: fail backend-down', async () => {
  const f = await chain('backend-hang');
  expectFinding(f['token-issuance'], 'fail', ['backend-down', 'timeout']);
  expect(f['token-issuance']?.evidence.error).toBe('timeout');
});

test('wrong-cache-db → token found in DB 4 only: fail wrong-cache-db; the handshake still works', async () => {
  const f = await chain('wrong-cache-db');
  expectFinding(f['token-issuance'], 'ok');
  expectFinding(f['token-storage'], 'fail', ['wrong-cache-db']);
  expect(f['token-storage']?.evidence.foundInDb).toBe(4);
  expect(f['chat-handshake']?.status).toBe('ok');
});

test('token-expired → not stored anywhere, handshake 403 with the token gone', async () => {
  const f = await chain('token-expired');
  expectFinding(f['token-storage'], 'fail', ['token-not-stored']);
  expectFinding(f['chat-handshake'], 'fail', ['handshake-403', 'handshake-403-token-expired']);
  expect(f['chat-handshake']?.evidence.tokenStillStored).toBe(false);
});

test('token-reuse-allowed → the replayed token connects: fail token-reuse-allowed', async () => {
  const f = await chain('token-reuse-allowed');
  expectFinding(f['chat-handshake'], 'fail', ['token-reuse-allowed']);
});

test('origin-rejected → with the browser\'s Origin: 403, token consumed, and the no-Origin retry connects', async () => {
  const t = targetsFor(
    testEnv({ backendUrl: demo.url, redisUrl: redis.url }, DEMO_SERVICE_ACCOUNT.password, { backend: { origin: 'http://localhost:3000' } }),
  );
  try {
    const f = await chain('origin-rejected', t);
    expectFinding(f['token-storage'], 'ok');
    expectFinding(f['chat-handshake'], 'fail', ['handshake-403', 'handshake-403-origin']);
    expect(f['chat-handshake']?.evidence).toMatchObject({ tokenStillStored: false, originSent: true, withoutOrigin: 'open', decidedBy: 'probe' });
  } finally {
    await t.close();
  }
});

test('origin-rejected without an Origin sent: the consumer lets it pass, nothing is blamed on the origin', async () => {
  const f = await chain('origin-rejected');
  expectFinding(f['chat-handshake'], 'ok');
});

test('channel-layer-down → handshake HTTP 500 with the route present (the tokenless probe is a 403)', async () => {
  const f = await chain('channel-layer-down');
  expectFinding(f['chat-handshake'], 'fail', ['handshake-500', 'handshake-500-in-consumer']);
  expect(f['chat-handshake']?.evidence).toMatchObject({ status: 500, routeProbe: '403' });
});

test('chat-route-missing → handshake 500 and the tokenless probe 500 too: no route, Redis not blamed', async () => {
  const f = await chain('chat-route-missing');
  expectFinding(f['chat-handshake'], 'fail', ['handshake-500', 'handshake-500-no-route']);
  expect(f['chat-handshake']?.evidence.routeProbe).toBe('500');
});

test('rate-limited with DEBUG off → 403 decided by the probe user\'s ws_rate counter', async () => {
  const f = await chain('rate-limited');
  expectFinding(f['chat-handshake'], 'fail', ['handshake-403', 'handshake-403-rate-limit']);
  expect(f['chat-handshake']?.evidence).toMatchObject({ rateBefore: 10, decidedBy: 'counters' });
});

test('token-ttl-short → stored, but the TTL is far below expires_in: warn token-ttl-short', async () => {
  const f = await chain('token-ttl-short');
  expectFinding(f['token-storage'], 'warn', ['token-ttl-short']);
  expect(Number(f['token-storage']?.evidence.pttlMs)).toBeLessThanOrEqual(1000);
});

test('slow-handshake (1.2 s) → warn slow-handshake', async () => {
  const f = await chain('slow-handshake');
  expectFinding(f['chat-handshake'], 'warn', ['slow-handshake']);
  expect(f['chat-handshake']?.evidence.connectedMs).toBeGreaterThanOrEqual(1100);
});

test('leaked-counter with DEBUG off → the probe user is at its limit: 403, and the probe says it lowered the counter', async () => {
  const f = await chain('leaked-counter');
  expectFinding(f['chat-handshake'], 'fail', ['handshake-403', 'handshake-403-connection-limit']);
  expect(String(f['chat-handshake']?.evidence.probeChanged)).toMatch(/ws_connections:user:\d+ 5 → 4/);
  expect(f['chat-handshake']?.summary).toMatch(/the probe changed/);
});

test('bot cannot reach Redis while the backend can → token-storage fail redis-down with the distinction in evidence', async () => {
  const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: `redis://127.0.0.1:${await freePort()}` }, DEMO_SERVICE_ACCOUNT.password));
  try {
    const f = await chain(undefined, t);
    expectFinding(f['token-issuance'], 'ok');
    expectFinding(f['token-storage'], 'fail', ['redis-down']);
    expect(f['token-storage']?.evidence).toMatchObject({ tokenIssued: true, botReachesRedis: false });
    expect(f['token-storage']?.summary).toMatch(/bot cannot reach Redis/);
    expectFinding(f['chat-handshake'], 'ok');
    expect(f['chat-handshake']?.evidence.keyGone).toBeNull();
  } finally {
    await t.close();
  }
});

test('a cached JWT the server no longer accepts (token_not_valid) → one fresh login, then ok', async () => {
  await targets.session.accessToken(); // cookie cached from the first demo instance
  const port = demo.port;
  await demo.stop();
  demo = await startDemo(port); // new instance, new JWT signing key: the cached JWT is now invalid
  const f = await chain();
  expectFinding(f['token-issuance'], 'ok');
  expect(f['token-issuance']?.evidence).toMatchObject({ relogin: true, loginCached: false });
  expectFinding(f['chat-handshake'], 'ok');
});
