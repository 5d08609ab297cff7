/**
 * The `prometheus` check against a real Prometheus 2.42 scraping the demo backend's exporter (job `django`) and
 * a port nobody listens on (job `dead`).
 */
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startDemoBackend } from '../../src/demo';
import { findCheck } from '../../src/checks/registry';
import { freePort } from '../../src/util/net';
import { runOne, targetsFor, testEnv } from './checks-support';

type Demo = Awaited<ReturnType<typeof startDemoBackend>>;

let redis: RedisProcess;
let demo: Demo;
let prom: PrometheusProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  demo = await startDemoBackend({ redisUrl: redis.url });
  const deadPort = await freePort();
  prom = await startPrometheus({
    scrapeTargets: [
      { job: 'django', target: `127.0.0.1:${demo.port}`, metricsPath: '/metrics' },
      { job: 'dead', target: `127.0.0.1:${deadPort}`, metricsPath: '/metrics' },
    ],
  });
  await Promise.all([waitForScrape(prom.url, 'django', 'up'), waitForScrape(prom.url, 'dead', 'down')]);
}, 60000);

afterAll(async () => {
  await prom?.stop();
  await demo?.stop();
  await redis?.stop();
});

afterEach(() => demo.faults.clear());

async function check(job: string, prometheusUrl = prom.url) {
  const t = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url, prometheusUrl }, undefined, { prometheus: { job } }));
  try {
    return await runOne(t, 'prometheus');
  } finally {
    await t.close();
  }
}

test('job scraped and up → ok', async () => {
  const f = await check('django');
  expect(f.status).toBe('ok');
  expect(f.evidence).toMatchObject({ targets: 1, up: 1, down: 0 });
});

test('job whose target refuses → fail scrape-failing with the last error', async () => {
  const f = await check('dead');
  expect(f.status).toBe('fail');
  expect(f.signals).toEqual(['scrape-failing']);
  expect(String(f.evidence.lastError)).toMatch(/refused/);
});

test('exporter moves to /metricsmetrics (metrics-wrong-path) → the django job goes down with a 404', async () => {
  demo.faults.set('metrics-wrong-path', true);
  await waitForScrape(prom.url, 'django', 'down');
  const f = await check('django');
  expect(f.status).toBe('fail');
  expect(f.signals).toEqual(['scrape-failing']);
  expect(String(f.evidence.lastError)).toMatch(/404/);
  demo.faults.clear();
  await waitForScrape(prom.url, 'django', 'up');
});

test('job not configured in Prometheus → warn scrape-job-missing', async () => {
  const f = await check('celery');
  expect(f.status).toBe('warn');
  expect(f.signals).toEqual(['scrape-job-missing']);
});

test('Prometheus unreachable → unknown (monitoring down, not the stack)', async () => {
  const f = await check('django', `http://127.0.0.1:${await freePort()}`);
  expect(f.status).toBe('unknown');
  expect(f.signals).toEqual(['prometheus-unreachable']);
});

test('prometheus.enabled: false disables the check', () => {
  const c = findCheck('prometheus');
  const env = testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined, { prometheus: { enabled: false } });
  expect(c?.enabled?.(env)).toBe(false);
  expect(c?.enabled?.(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, undefined))).toBe(true);
});
