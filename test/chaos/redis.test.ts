/**
 * Chaos area: Redis misbehaving under the bot — slow to answer, killed mid-run and restarted, full. Findings
 * must say what the user waited and what is wrong, and the bot must see Redis again when it comes back.
 */
import Redis from 'ioredis';
import type { Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import { delayingProxy, type FaultServer } from './faults';
import { chaosRow, observe } from './row';
import { sleep, startDemoStack, type DemoStack } from './support';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack();
});
afterAll(async () => {
  await stack?.stop();
});

function withRedisUrl(config: Config, url: string): Config {
  const env = config.environments.demo;
  if (!env) throw new Error('demo env missing');
  return { ...config, environments: { ...config.environments, demo: { ...env, redis: { ...env.redis, url, commandTimeoutMs: 4000 } } } };
}

async function redisFinding(doctor: Doctor) {
  const report = await doctor.status('demo');
  const f = report.findings.find((x) => x.check === 'redis');
  if (!f) throw new Error('no redis finding');
  return f;
}

chaosRow('Redis answers its first PING only after 2 s', 'latency reported ≈ 2000 ms (what the user waited), warn', async () => {
  let proxy: FaultServer | undefined;
  let doctor: Doctor | undefined;
  try {
    proxy = await delayingProxy(Number(new URL(stack.redis.url).port), { delayMs: 2000 });
    doctor = Doctor.create(withRedisUrl(stack.config, proxy.url('redis')), { stateDir: null });
    const f = await redisFinding(doctor);
    const reported = Number(/(\d+) ms/.exec(f.summary)?.[1] ?? NaN);
    return observe(`${f.status}: "${f.summary.slice(0, 70)}" (check took ${f.durationMs} ms)`, f.status === 'warn' && reported >= 1800 && reported <= f.durationMs + 5);
  } finally {
    await doctor?.close();
    await proxy?.stop();
  }
}, 30_000);

chaosRow('Redis SIGKILLed mid-run, then restarted on the same port', 'run ends within the deadline naming Redis; next runs see it back', async () => {
  const own = await startRedisServer();
  const port = Number(new URL(own.url).port);
  const doctor = Doctor.create(withRedisUrl(stack.config, own.url), { stateDir: null });
  let again: RedisProcess | undefined;
  try {
    await redisFinding(doctor); // warm: the client is connected when Redis dies
    const t0 = Date.now();
    const running = doctor.status('demo');
    process.kill(own.pid, 'SIGKILL');
    const during = (await running).findings.find((x) => x.check === 'redis');
    const duringMs = Date.now() - t0;
    again = await startRedisServer({ port });
    let after = await redisFinding(doctor);
    for (let i = 0; i < 5 && after.status !== 'ok'; i++) {
      await sleep(500);
      after = await redisFinding(doctor);
    }
    const deadline = stack.config.environments.demo?.checks.deadlineMs ?? 5000;
    return observe(
      `during: ${during?.status} in ${duringMs} ms ("${during?.summary.slice(0, 40)}"); after restart: ${after.status}`,
      during !== undefined && during.status !== 'ok' && duringMs < deadline + 1500 && after.status === 'ok',
    );
  } finally {
    await doctor.close();
    await again?.stop();
    await own.stop().catch(() => undefined);
  }
}, 40_000);

chaosRow('Redis full: maxmemory reached with noeviction', 'redis check fails naming OOM / refused writes', async () => {
  const own = await startRedisServer();
  const admin = new Redis(own.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const doctor = Doctor.create(withRedisUrl(stack.config, own.url), { stateDir: null });
  try {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? 0);
    await admin.config('SET', 'maxmemory', String(used + 512 * 1024));
    const blob = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 200; i++) {
      try {
        await admin.set(`fill:${i}`, blob);
      } catch {
        break; // OOM: full
      }
    }
    const f = await redisFinding(doctor);
    return observe(`${f.status}: "${f.summary.slice(0, 80)}"`, f.status === 'fail' && /full|OOM|refused/i.test(f.summary));
  } finally {
    admin.disconnect();
    await doctor.close();
    await own.stop();
  }
}, 30_000);
