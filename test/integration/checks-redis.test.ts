/**
 * Redis internals checks (`redis`, `celery-queue`, `ws-counters`) against a real redis-server and the demo
 * backend (for its leaked-counter fault and a real chat group while a socket is open).
 */
import Redis from 'ioredis';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT } from '../../src/demo';
import { freePort } from '../../src/util/net';
import { openWebSocket } from '../../src/targets/websocket';
import type { Targets } from '../../src/targets/targets';
import { runOne, run, targetsFor, testEnv } from './checks-support';

type Demo = Awaited<ReturnType<typeof startDemoBackend>>;

let redis: RedisProcess;
let demo: Demo;
let targets: Targets;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  demo = await startDemoBackend({ redisUrl: redis.url });
  targets = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, DEMO_SERVICE_ACCOUNT.password));
  admin = new Redis(redis.url);
});

afterAll(async () => {
  await targets?.close();
  admin?.disconnect();
  await demo?.stop();
  await redis?.stop();
});

afterEach(async () => {
  demo.faults.clear();
  await demo.faults.settled?.();
  await admin.select(0);
  await admin.del('celery');
  await admin.config('SET', 'maxmemory', '0');
});

test('redis: healthy server → ok with ping, db sizes', async () => {
  const f = await runOne(targets, 'redis');
  expect(f.status).toBe('ok');
  expect(f.signals).toBeUndefined();
  expect(typeof f.evidence.pingMs).toBe('number');
  expect(f.evidence).toHaveProperty('dbsize_cache');
  expect(f.ref).toMatch(/check 9/);
});

test('redis: memory over the fail threshold → fail redis-memory-high', async () => {
  const info = await admin.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
  // maxmemory just above what is used: ≈ 90 % > the 80 % fail level. Nothing is written, so nothing is evicted.
  await admin.config('SET', 'maxmemory', String(Math.ceil(used / 0.9)));
  const f = await runOne(targets, 'redis');
  expect(f.status).toBe('fail');
  expect(f.signals).toContain('redis-memory-high');
  expect(f.evidence.memoryPercent).toBeGreaterThanOrEqual(80);
});

test('celery-queue: thresholds → ok, warn, fail celery-backlog', async () => {
  expect((await runOne(targets, 'celery-queue')).status).toBe('ok');
  await admin.select(0);
  await admin.rpush('celery', ...Array.from({ length: 150 }, (_, i) => `t${i}`));
  const warn = await runOne(targets, 'celery-queue');
  expect(warn.status).toBe('warn');
  expect(warn.signals).toEqual(['celery-backlog']);
  expect(warn.evidence.length).toBe(150);
  await admin.rpush('celery', ...Array.from({ length: 900 }, (_, i) => `u${i}`));
  const fail = await runOne(targets, 'celery-queue');
  expect(fail.status).toBe('fail');
  expect(fail.signals).toEqual(['celery-backlog']);
});

test('ws-counters: an open chat socket shows as one group and a counter of 1; leaked-counter fault → warn', async () => {
  // Open one real chat socket through the demo, logged in through the bot's own session (one login).
  const login = await targets.session.accessToken();
  if (login.kind !== 'ok') throw new Error(`login failed: ${login.kind}`);
  const tok = await targets.http.request('/api/v1/auth/ws-connection-token/', { method: 'POST', headers: { Authorization: `Bearer ${login.jwt}` } });
  if (tok.kind !== 'response') throw new Error('token request failed');
  const { connection_token } = JSON.parse(tok.body) as { connection_token: string };
  const open = await openWebSocket(`${demo.wsUrl}/ws/chat/probe-counters/?connection_token=${connection_token}`, { timeoutMs: 3000 });
  expect(open.kind).toBe('open');
  try {
    if (open.kind === 'open') await open.socket.next(3000); // the `connected` frame: group joined, counter incremented
    const f = await runOne(targets, 'ws-counters');
    expect(f.status).toBe('ok');
    expect(f.evidence.chatGroups).toBe(1);
    // DEBUG on (this demo): the RateLimiter keeps no counters at all (core/agents/security.py).
    expect(f.evidence.countedConnections).toBe(0);
  } finally {
    if (open.kind === 'open') await open.socket.close();
  }

  // Wait for the server's disconnect (group_discard, counter -1) so it cannot undo the fault's counter.
  await admin.select(2);
  const counterKey = `allthrive:1:ws_connections:user:${DEMO_SERVICE_ACCOUNT.id}`;
  for (let i = 0; i < 100 && !['0', null].includes(await admin.get(counterKey)); i++) await new Promise((r) => setTimeout(r, 20));
  demo.faults.set('leaked-counter', true);
  await demo.faults.settled?.();
  const leaked = await runOne(targets, 'ws-counters');
  expect(leaked.status).toBe('warn');
  expect(leaked.signals).toEqual(['leaked-counter']);
  expect(String(leaked.evidence.leakedUsers)).toContain(String(DEMO_SERVICE_ACCOUNT.id));
});

test('Redis unreachable → redis fails redis-down, the others are unknown with redis-down', async () => {
  const dead = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: `redis://127.0.0.1:${await freePort()}` }, undefined));
  try {
    const f = await run(dead, ['redis', 'celery-queue', 'ws-counters']);
    expect(f.redis?.status).toBe('fail');
    expect(f.redis?.signals).toEqual(['redis-down']);
    expect(f['celery-queue']?.status).toBe('unknown');
    expect(f['celery-queue']?.signals).toEqual(['redis-down']);
    expect(f['ws-counters']?.status).toBe('unknown');
    expect(f['ws-counters']?.signals).toEqual(['redis-down']);
    for (const x of Object.values(f)) expect(x.durationMs).toBeLessThan(3000);
  } finally {
    await dead.close();
  }
});
