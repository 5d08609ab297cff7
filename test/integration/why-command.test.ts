/**
 * `/ws why <symptom>` end to end: dispatch → Doctor → only the symptom's checks against the demo backend on a
 * real redis-server; the cause named, the guide's wrong advice stated, unknown symptoms answered with the list
 * and the closest match.
 */
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { dispatch } from '../../src/chat/dispatch';
import { renderText } from '../../src/console/render';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend, type FaultName } from '../../src/demo/index';
import { SYMPTOMS, findSymptom } from '../../src/diagnosis/symptoms';
import { allChecks } from '../../src/checks/registry';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let backend: DemoBackend;
let doctor: Doctor;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url);
  const env = cfg.environments.demo!;
  // Latency warn levels lifted: a loaded machine must not turn a slow PING into the verdict under test.
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000 };
  const config = { ...cfg, environments: { demo: { ...env, backend: { ...env.backend, origin: 'http://localhost:3000' }, checks: { ...env.checks, thresholds } } } };
  doctor = Doctor.create(config, { stateDir: null });
});

afterAll(async () => {
  await doctor?.close();
  await backend?.stop();
  await redis?.stop();
});

afterEach(async () => {
  backend.faults.clear();
  await backend.faults.settled();
});

async function why(text: string, fault?: FaultName): Promise<{ text: string; checks: string[] }> {
  if (fault) {
    backend.faults.set(fault, true);
    await backend.faults.settled();
  }
  const since = (await doctor.history('demo')).length;
  const plan = dispatch(`why ${text}`, { doctor, surface: 'console', prefix: '/ws' });
  const msg = plan.kind === 'run' ? await plan.run() : plan.message;
  const after = await doctor.history('demo');
  const ran = after.slice(0, Math.max(0, after.length - since)).map((h) => h.finding.check);
  return { text: renderText(msg, { color: false }), checks: ran };
}

test('every symptom names only checks that exist, and its aliases find it', () => {
  const names = new Set(allChecks.map((c) => c.name));
  for (const s of SYMPTOMS) {
    for (const c of s.checks) expect(names.has(c)).toBe(true);
    for (const a of s.aliases) expect(findSymptom(a)?.id).toBe(s.id);
    expect(s.guideIsWrong.length).toBeGreaterThan(0);
  }
  expect(findSymptom('the chat shows messages not displaying at all')?.id).toBe('no-messages');
  expect(findSymptom('I get 4001')?.id).toBe('auth');
});

test('why offline with the web cache on an unreachable Redis: the cause, and only the offline checks ran', async () => {
  const r = await why('offline', 'cache-unreachable');
  expect(r.text).toMatch(/Why: "Offline" badge/);
  expect(r.text).toMatch(/Cause found: .*cache/i);
  expect(r.text).toMatch(/fix-cache-url/);
  expect(r.text).not.toMatch(/restart-backend/);
  expect(r.text).toMatch(/Where the guide is wrong on the real code/);
  expect(r.checks).toEqual(expect.arrayContaining(['token-issuance', 'http-liveness', 'redis']));
  expect(r.checks).not.toContain('chat-handshake');
  expect(r.checks).not.toContain('metrics');
});

test('why 4001 with a disallowed Origin: names the origin, and says 4001 never reaches a browser', async () => {
  const r = await why('4001', 'origin-rejected');
  expect(r.text).toMatch(/Origin the bot sends is not allowed/);
  expect(r.text).toMatch(/never sees 4001/);
  expect(r.text).toMatch(/DB 0/);
});

test('why on a healthy stack says none of its causes is present', async () => {
  const r = await why('timeout');
  expect(r.text).toMatch(/None of its causes is present right now/);
});

test('an unknown symptom gets the list and the closest match', async () => {
  const plan = dispatch('why offlne', { doctor, surface: 'console', prefix: '/ws' });
  expect(plan.kind).toBe('immediate');
  const text = plan.kind === 'immediate' ? renderText(plan.message, { color: false }) : '';
  expect(text).toMatch(/No symptom `?offlne`?\. Did you mean `?offline`?\?/);
  for (const s of SYMPTOMS) expect(text).toContain(s.id);
});
