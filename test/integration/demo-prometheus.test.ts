/**
 * The demo's monitoring end to end: a real Prometheus 2.42 scraping the demo backend exactly as `npm run demo`
 * starts it (job `django`, path `/metrics`, like the real `monitoring/prometheus.yml`), the demo config pointing
 * the prometheus check at it, and the Doctor's verdict. The `metrics-wrong-path` fault is the real default of
 * §6: the exporter answers only at `/metricsmetrics`, so the scrape fails and monitoring is blind.
 *
 * Needs the `prometheus` binary; without it this suite fails (it does not skip), naming the apt package.
 */
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { Doctor } from '../../src/core/doctor';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, waitForScrapeSince, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let doctor: Doctor;

beforeAll(async () => {
  if (!prometheusAvailable()) {
    throw new Error(`the \`prometheus\` binary is not on PATH; these tests need a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  }
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true, slowHandshakeMs: 1500, loginRatePerMinute: 1000 });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  // Prometheus hands static targets to its scrapers after a ~5 s discovery delay.
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 20000);
  doctor = Doctor.create(testConfig(), { stateDir: null });
}, 60000);

afterAll(async () => {
  await doctor?.close();
  await prom?.stop();
  await backend?.stop();
  await redis?.stop();
});

afterEach(async () => {
  if (!backend || !prom) return;
  backend.faults.clear();
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up');
});

/**
 * The demo environment with Prometheus, latency warn levels lifted (as in doctor.test.ts): these tests are
 * about which cause is named, and a loaded machine must not turn a slow PING into a "degraded" verdict.
 */
function testConfig(): Config {
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url);
  const env = cfg.environments.demo!;
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000 };
  return { ...cfg, environments: { demo: { ...env, checks: { ...env.checks, thresholds } } } };
}

test('demoConfig: the prometheus check points at the demo Prometheus, job django; off without one', () => {
  const env = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url).environments.demo!;
  expect(env.prometheus).toMatchObject({ enabled: true, url: prom.url, job: 'django' });
  expect(demoScrapeTargets('127.0.0.1:8000')).toEqual([{ job: 'django', target: '127.0.0.1:8000', metricsPath: '/metrics' }]);
  const without = demoConfig(loadConfig({ env: {} }), backend, redis.url).environments.demo!;
  expect(without.prometheus.enabled).toBe(false);
});

test('healthy demo: the prometheus check is ok and the verdict is healthy', async () => {
  const r = await doctor.status('demo');
  const f = r.findings.find((x) => x.check === 'prometheus');
  expect(f).toMatchObject({ status: 'ok', evidence: { targets: 1, up: 1, down: 0 } });
  expect(r.findings.filter((x) => x.status !== 'ok')).toEqual([]);
  expect(r.verdict.overall).toBe('ok');
});

test('metrics-wrong-path: after the next scrape the prometheus check fails (scrape-failing, 404) and the verdict names metrics-path-mismatch', async () => {
  const since = Date.now();
  backend.faults.set('metrics-wrong-path', true);
  // The next scrape that began after the switch: ≤ 1 s away with the 1 s interval.
  await expect(waitForScrapeSince(prom.url, DEMO_SCRAPE_JOB, since, 10000)).resolves.toBe('down');
  const r = await doctor.status('demo');
  const f = r.findings.find((x) => x.check === 'prometheus');
  expect(f?.status).toBe('fail');
  expect(f?.signals).toEqual(['scrape-failing']);
  expect(String(f?.evidence.lastError)).toMatch(/404/);
  expect(r.verdict.rootCause?.id).toBe('metrics-path-mismatch');
  expect(r.verdict.overall).toBe('degraded');
});

test('healed: the next scrape is up again and so is the check', async () => {
  backend.faults.set('metrics-wrong-path', true);
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'down');
  const since = Date.now();
  backend.faults.clear();
  await expect(waitForScrapeSince(prom.url, DEMO_SCRAPE_JOB, since, 10000)).resolves.toBe('up');
  const r = await doctor.status('demo', { checks: ['prometheus'] });
  expect(r.findings.map((x) => [x.check, x.status])).toEqual([['prometheus', 'ok']]);
});
