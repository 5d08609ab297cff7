/**
 * HTTP and edge checks (`http-liveness`, `db-health`, `ws-edge`, `metrics`) against the demo backend on a real
 * redis-server, healthy and under each fault that concerns them.
 */
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { startDemoBackend, type FaultName } from '../../src/demo';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../src/util/net';
import type { Targets } from '../../src/targets/targets';
import { run, runOne, targetsFor, testEnv } from './checks-support';

type Demo = Awaited<ReturnType<typeof startDemoBackend>>;

let redis: RedisProcess;
let demo: Demo;
let targets: Targets;

beforeAll(async () => {
  redis = await startRedisServer();
  demo = await startDemoBackend({ redisUrl: redis.url });
  targets = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined));
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

async function withFault(fault: FaultName, names: string[]) {
  demo.faults.set(fault, true);
  await demo.faults.settled?.();
  return await run(targets, names);
}

const EDGE = ['http-liveness', 'db-health', 'ws-edge'];

test('healthy stack: liveness, db-health and ws-edge are ok', async () => {
  const f = await run(targets, EDGE);
  for (const n of EDGE) {
    expect(f[n]?.status).toBe('ok');
    expect(f[n]?.signals).toBeUndefined();
  }
  expect(f['ws-edge']?.evidence.closeCode).toBe(1000);
  expect(f['db-health']?.ref).toMatch(/check 2/);
});

test('ssl-redirect: db-health fails with ssl-redirect, liveness and the WS edge stay ok', async () => {
  const f = await withFault('ssl-redirect', EDGE);
  expect(f['db-health']?.status).toBe('fail');
  // The second probe with X-Forwarded-Proto: https answers 200: the header is what is missing, not the setting.
  expect(f['db-health']?.signals).toEqual(['ssl-redirect', 'ssl-proxy-header-missing']);
  expect(f['db-health']?.evidence.withForwardedProto).toBe(200);
  expect(f['db-health']?.evidence.selfRedirect).toBe(true);
  expect(String(f['db-health']?.evidence.location)).toMatch(/^https:\/\//);
  expect(f['http-liveness']?.status).toBe('ok');
  expect(f['ws-edge']?.status).toBe('ok');
});

test('ssl-redirect with X-Forwarded-Proto configured: db-health is ok', async () => {
  const env = testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined, { backend: { forwardedProto: 'https' } });
  const t = targetsFor(env);
  try {
    demo.faults.set('ssl-redirect', true);
    expect((await runOne(t, 'db-health')).status).toBe('ok');
  } finally {
    await t.close();
  }
});

test('db-down: db-health fails with db-down', async () => {
  const f = await withFault('db-down', ['db-health', 'http-liveness']);
  expect(f['db-health']?.status).toBe('fail');
  expect(f['db-health']?.signals).toEqual(['db-down']);
  expect(f['http-liveness']?.status).toBe('ok');
});

test('redis-down: db-health 500 → token-or-cache-500; liveness and ws-edge stay healthy (§12)', async () => {
  const f = await withFault('redis-down', EDGE);
  expect(f['db-health']?.status).toBe('fail');
  expect(f['db-health']?.signals).toEqual(['token-or-cache-500']);
  expect(f['http-liveness']?.status).toBe('ok');
  expect(f['ws-edge']?.status).toBe('ok');
});

test('channel-layer-down: /ws/health/ still healthy (it is no Redis probe)', async () => {
  const f = await withFault('channel-layer-down', ['ws-edge']);
  expect(f['ws-edge']?.status).toBe('ok');
});

test('backend-hang: every probe times out → backend-down / asgi-down, within its own timeout', async () => {
  const f = await withFault('backend-hang', EDGE);
  expect(f['http-liveness']?.status).toBe('fail');
  expect(f['http-liveness']?.signals).toEqual(['backend-down', 'timeout']);
  expect(f['http-liveness']?.evidence.error).toBe('timeout');
  expect(f['db-health']?.signals).toEqual(['backend-down', 'timeout']);
  expect(f['ws-edge']?.status).toBe('fail');
  expect(f['ws-edge']?.signals).toEqual(['asgi-down']);
  // The check reports the timeout itself (backend.timeoutMs 2500) before the runner's 5 s check timeout.
  for (const n of EDGE) expect(f[n]?.durationMs).toBeLessThan(4500);
});

test('nothing listening: refused → backend-down', async () => {
  const t = targetsFor(testEnv({ backendUrl: `http://127.0.0.1:${await freePort()}`, redisUrl: redis.url }, undefined));
  try {
    const f = await run(t, EDGE);
    for (const n of EDGE) {
      expect(f[n]?.status).toBe('fail');
      expect(f[n]?.signals).toEqual(['backend-down']);
      expect(f[n]?.evidence.error).toBe('refused');
    }
  } finally {
    await t.close();
  }
});

test('unknown WebSocket route (Daphne: exception before accept → HTTP 500) → ws-edge fails routing-error', async () => {
  const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined, { backend: { paths: { wsHealth: '/ws/no-such-route/' } } }));
  try {
    const f = await runOne(t, 'ws-edge');
    expect(f.status).toBe('fail');
    expect(f.signals).toEqual(['routing-error']);
    expect(f.evidence.status).toBe(500);
  } finally {
    await t.close();
  }
});

test('a proxy answering the upgrade with 301 to https → ws-edge fails ssl-redirect with the Location', async () => {
  // A minimal stand-in for a misconfigured proxy: every request gets a 301 to itself on https.
  const proxy = net.createServer((sock) => {
    sock.once('data', (buf) => {
      const path = /^GET (\S+)/.exec(String(buf))?.[1] ?? '/';
      sock.end(`HTTP/1.1 301 Moved Permanently\r\nLocation: https://127.0.0.1${path}\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as AddressInfo).port;
  const t = targetsFor(testEnv({ backendUrl: `http://127.0.0.1:${port}`, redisUrl: redis.url }, undefined));
  try {
    const f = await runOne(t, 'ws-edge');
    expect(f.status).toBe('fail');
    expect(f.signals).toEqual(['ssl-redirect']);
    expect(f.evidence).toMatchObject({ status: 301, location: 'https://127.0.0.1/ws/health/' });
  } finally {
    await t.close();
    await new Promise((r) => proxy.close(r));
  }
});

describe('metrics', () => {
  test('healthy demo: served on the scrape path → ok, with the 5xx count', async () => {
    const f = await runOne(targets, 'metrics');
    expect(f.status).toBe('ok');
    expect(String(f.evidence.workingPaths)).toContain('/metrics');
    expect(typeof f.evidence.responses5xx).toBe('number');
  });

  test('metrics-wrong-path (the real default): only /metricsmetrics → warn metrics-path-mismatch', async () => {
    const f = await withFault('metrics-wrong-path', ['metrics']);
    expect(f.metrics?.status).toBe('warn');
    expect(f.metrics?.signals).toEqual(['metrics-path-mismatch']);
    expect(f.metrics?.evidence.workingPaths).toBe('/metricsmetrics');
    expect(f.metrics?.summary).toMatch(/R12/);
  });

  test('metrics-path-missing: no exporter → fail metrics-missing', async () => {
    const f = await withFault('metrics-path-missing', ['metrics']);
    expect(f.metrics?.status).toBe('fail');
    expect(f.metrics?.signals).toEqual(['metrics-missing']);
  });

  test('scrape path configured as /metricsmetrics → ok under metrics-wrong-path', async () => {
    const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined, { metrics: { scrapePath: '/metricsmetrics' } }));
    try {
      demo.faults.set('metrics-wrong-path', true);
      expect((await runOne(t, 'metrics')).status).toBe('ok');
    } finally {
      await t.close();
    }
  });
});
