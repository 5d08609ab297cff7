/**
 * The accuracy table: every fault the demo backend can inject, run through the whole core (real checks, real
 * redis-server, real HTTP/WebSocket), and the verdict's root cause, overall and remediations judged against
 * test/accuracy/cases.ts. `npm run accuracy` prints the table (also written to .ws-doctor-accuracy.md when
 * ACCURACY_OUT is set). Every row must be right: a wrong root cause fails the suite.
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend, type FaultName } from '../../src/demo/index';
import { Doctor } from '../../src/core/doctor';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { DEMO_CASES, judge, table, type AccuracyCase, type AccuracyRow } from '../accuracy/cases';

jest.setTimeout(60_000);

let redis: RedisProcess;
const rows: AccuracyRow[] = [];

interface Mode {
  backend: DemoBackend;
  doctor: Doctor;
}
const modes = new Map<boolean, Mode>();

function config(backend: DemoBackend) {
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url);
  const env = cfg.environments.demo!;
  // Latency warn levels lifted: a loaded machine must not turn a slow PING into a verdict. The browser's Origin
  // is sent, as a browser on the Vite dev server would.
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000 };
  return {
    ...cfg,
    environments: {
      demo: {
        ...env,
        backend: { ...env.backend, origin: 'http://localhost:3000', timeoutMs: 2500, loginPerMinute: 60 },
        redis: { ...env.redis, commandTimeoutMs: 1500 },
        checks: { ...env.checks, deadlineMs: 9000, timeoutMs: 8000, thresholds },
      },
    },
  };
}

async function mode(production: boolean): Promise<Mode> {
  let m = modes.get(production);
  if (!m) {
    const backend = await startDemoBackend({ redisUrl: redis.url, debug: !production, slowHandshakeMs: 1500, loginRatePerMinute: 1000, lateErrorMs: 300, redisPid: () => redis.pid });
    m = { backend, doctor: Doctor.create(config(backend), { stateDir: null }) };
    modes.set(production, m);
  }
  return m;
}

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  for (const m of modes.values()) {
    await m.doctor.close();
    await m.backend.stop();
  }
  await redis?.stop();
  const out = table(rows);
  process.stdout.write(`\nDiagnosis accuracy (demo backend):\n${out}\n`);
  if (process.env.ACCURACY_OUT) writeFileSync(process.env.ACCURACY_OUT, `${out}\n`);
});

async function inject(m: Mode, c: AccuracyCase): Promise<() => Promise<void>> {
  if (c.fault === 'healthy') return async () => undefined;
  if (c.fault === 'redis-stopped') {
    const port = redis.port;
    await redis.stop();
    return async () => {
      redis = await startRedisServer({ port });
      await new Promise((r) => setTimeout(r, 300));
    };
  }
  m.backend.faults.set(c.fault as FaultName, true);
  await m.backend.faults.settled();
  return async () => {
    m.backend.faults.clear();
    await m.backend.faults.settled();
  };
}

/** The probe user's counters, reset between rows (each row starts from a clean stack). */
async function resetCounters(m: Mode): Promise<void> {
  const { default: Redis } = await import('ioredis');
  const c = new Redis(redis.url, { db: 2, maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await c.connect();
    const keys = await c.keys('allthrive:1:ws_*:user:*');
    if (keys.length) await c.del(...keys);
  } finally {
    c.disconnect();
  }
  void m;
}

describe.each(DEMO_CASES.map((c) => [`${c.production ? 'prod' : 'debug'} ${c.fault}`, c] as const))('%s', (_name, c) => {
  it(`→ ${c.cause} (${c.overall})`, async () => {
    const m = await mode(c.production === true);
    await resetCounters(m);
    const heal = await inject(m, c);
    let row: AccuracyRow;
    try {
      const r = await m.doctor.status('demo');
      const got = { cause: r.verdict.rootCause?.id ?? 'none', overall: r.verdict.overall, remediations: r.verdict.rootCause?.remediations ?? [] };
      const j = judge(c, got);
      row = { peer: c.production ? 'demo (DEBUG off)' : 'demo', fault: c.fault, expected: c.cause, got: got.cause, overall: got.overall, remediations: got.remediations, ...j };
      if (!j.right) row.why = `${j.why}; headline: ${r.verdict.headline}; ${r.findings.filter((f) => f.status !== 'ok').map((f) => `${f.check}=${f.status}[${f.signals?.join(',') ?? ''}] ${f.summary}`).join(' | ')}`;
    } finally {
      await heal();
    }
    rows.push(row);
    expect(row.why ?? 'right').toBe('right');
  });
});

test('a healthy stack stays healthy run after run (the probe leaves nothing that turns the next run red)', async () => {
  for (const production of [false, true]) {
    const m = await mode(production);
    await resetCounters(m);
    for (let i = 0; i < 3; i++) {
      const r = await m.doctor.status('demo');
      expect(`${production ? 'prod' : 'debug'} run ${i + 1}: ${r.verdict.headline}`).toMatch(/: Healthy: all \d+ checks pass/);
    }
  }
});
