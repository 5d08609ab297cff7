/**
 * Chaos area: the diagnosis under the faults it misread on the real stack (issue 7) and hostile input to
 * `/ws why`. Real peers: a redis-server of its own and the demo backend with DEBUG off (limits enforced,
 * Daphne-style logs); the Redis hang is a real SIGSTOP of that redis-server.
 */
import { dispatch } from '../../src/chat/dispatch';
import { parseConfig } from '../../src/config/load';
import { renderText } from '../../src/console/render';
import { Doctor } from '../../src/core/doctor';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { analyzeCounts } from '../../src/logs/analyze';
import { OwnTraffic } from '../../src/logs/own-traffic';
import { LogScanner } from '../../src/logs/scanner';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { chaosRow, observe } from './row';

let redis: RedisProcess;
let backend: DemoBackend;
let doctor: Doctor;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: false, loginRatePerMinute: 1000, redisPid: () => redis.pid });
  const cfg = demoConfig(parseConfig({}), backend, redis.url);
  const env = cfg.environments.demo!;
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000 };
  doctor = Doctor.create(
    { ...cfg, environments: { demo: { ...env, redis: { ...env.redis, commandTimeoutMs: 1500 }, checks: { ...env.checks, thresholds } } } },
    { stateDir: null },
  );
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

chaosRow('redis-server SIGSTOPped (accepts, never answers)', 'root cause "Redis hung", not the backend; answer within the deadline', async () => {
  backend.faults.set('redis-hang', true);
  await backend.faults.settled();
  const t0 = Date.now();
  const r = await doctor.status('demo');
  const ms = Date.now() - t0;
  const id = r.verdict.rootCause?.id;
  return observe(`${id} after ${ms} ms (${r.verdict.rootCause?.remediations.join(',') || 'no fix'})`, id === 'redis-hung' && ms < 6500);
});

chaosRow("probe user's ws_connections counter leaked at 5 (DEBUG off)", 'root cause names the leaked counter and says the probe lowered it', async () => {
  backend.faults.set('leaked-counter', true);
  await backend.faults.settled();
  const r = await doctor.status('demo');
  const changes = r.verdict.probeChanges?.join('; ') ?? '';
  return observe(`${r.verdict.rootCause?.id}; probe changed: ${changes || 'nothing said'}`, r.verdict.rootCause?.id === 'probe-user-connection-limit' && /5 → 4/.test(changes));
});

chaosRow("the bot's own replayed-token probe lines in the web log, 3 runs", 'the log scan counts none of them (no symptom raised)', async () => {
  const since = Date.now();
  for (let i = 0; i < 3; i++) await doctor.status('demo');
  const s = doctor.targetsOf('demo').session;
  const scanner = new LogScanner({ own: new OwnTraffic({ ...s.identity }) });
  scanner.write(2, Buffer.from(backend.logs.lines(since).join('\n') + '\n'));
  const r = scanner.end();
  const v = analyzeCounts(r.counts, { rejectRatioWarn: 0.2, tokenConsumeRatioWarn: 0.5, minEvents: 3, reloadLoopStarts: 3 });
  return observe(`${r.ownLines} own lines skipped, signals: ${v.signals.join(',') || 'none'}`, v.signals.length === 0 && r.ownLines > 0);
});

chaosRow('`why` with 10 KB of <!channel> <@U123> as the symptom', 'a usage answer with the symptom list, nothing run, echo cut to 60 chars', async () => {
  const before = (await doctor.history('demo')).length;
  const plan = dispatch(`why ${'<!channel> <@U123> '.repeat(550)}`, { doctor, surface: 'console', prefix: '/ws' });
  const text = plan.kind === 'immediate' ? renderText(plan.message, { color: false }) : '(it ran)';
  const ran = (await doctor.history('demo')).length - before;
  return observe(`${plan.kind}, ${text.length} chars, ${ran} checks run`, plan.kind === 'immediate' && ran === 0 && text.length < 3000 && /offline/.test(text));
});
