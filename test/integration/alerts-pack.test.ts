/**
 * The bundled rule pack (rules/allthrive.yml) against the demo's real metrics and real faults: a real Prometheus
 * 2.42 scraping the demo backend every second, a real redis-server, the real checks (Doctor), the real evaluator.
 *
 * - Healthy stack: every Prometheus expression of the pack returns nothing and every check rule stays quiet.
 * - Each rule: the demo is driven into the fault the rule is for, and the rule fires through the AlertService
 *   (Prometheus rules with their `for` set to 0 — minutes of `for` are the state machine's business, tested in
 *   alerts.test.ts — and their expression also asked of Prometheus directly; check rules with the pack's own
 *   fail_after).
 * - What the real app never records is tested for its documented behaviour (pack comments, target-system §6):
 *   with DEBUG on (local compose) the rate-limit counter never moves, so RateLimitHitsHigh stays quiet however
 *   many messages are sent; log and container rules need a container engine, which the demo has not, so they
 *   neither fire nor resolve there (the check says why).
 */
import path from 'node:path';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import type { IncidentSink } from '../../src/alerts/sink';
import type { AlertRule, IncidentView } from '../../src/alerts/types';
import { allChecks } from '../../src/checks/registry';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import type { FaultName } from '../../src/demo/faults';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { DEMO_SERVICE_ACCOUNT } from '../../src/demo/users';
import { MemoryStateStore } from '../../src/state/memory-store';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT } from '../peers/slack-api';

jest.setTimeout(180_000);

const PACK = path.join(REPO_ROOT, 'rules', 'allthrive.yml');
let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let cfg: Config;
let doctor: Doctor;
let client: PrometheusQueryClient;
let rules: AlertRule[];
const extra: Array<{ stop(): Promise<void> }> = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error(`the \`prometheus\` binary is not on PATH; these tests need a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  const loaded = loadRuleFiles([PACK], { defaultIntervalMs: 15_000, checkNames: allChecks.map((c) => c.name) });
  expect(loaded.problems).toEqual([]);
  rules = loaded.rules;
  redis = await startRedisServer();
  // DEBUG on: the local compose stack the pack's comments describe.
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true, loginRatePerMinute: 100_000, drfRatesPerMinute: { anon: 100_000, user: 100_000 } });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  cfg = looseThresholds(demoConfig(parseConfig({}), backend, redis.url, prom.url));
  doctor = Doctor.create(cfg, { stateDir: null });
  client = new PrometheusQueryClient({ url: prom.url, timeoutMs: 5000 });
  // Some healthy traffic, so ratios have a denominator.
  await hits(`${backend.url}/api/v1/health/`, 20);
  await sleep(3000);
}, 120_000);

afterAll(async () => {
  // Each peer gets a bound: one that does not stop in time is named instead of holding the whole suite.
  const bounded = async (what: string, p: Promise<unknown> | undefined): Promise<void> => {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<string>((r) => (t = setTimeout(() => r('late'), 20_000)));
    if ((await Promise.race([Promise.resolve(p).catch(() => undefined), late])) === 'late') console.warn(`${what} did not stop within 20 s`);
    clearTimeout(t);
  };
  // Newest first: a backend stops before the redis-server it talks to.
  for (const [i, e] of [...extra.entries()].reverse()) await bounded(`extra peer ${i}`, e.stop());
  await bounded('doctor', doctor?.close());
  await bounded('prometheus', prom?.stop());
  await bounded('backend', backend?.stop());
  await bounded('redis', redis?.stop());
}, 150_000);

afterEach(async () => {
  backend.faults.clear();
  await backend.faults.settled();
});

/** Latency warn levels a loaded 2-core box never trips (the pack's rules are about failures, not speed). */
function looseThresholds(c: Config): Config {
  const demo = c.environments.demo!;
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  return c;
}

function rule(name: string): AlertRule {
  const r = rules.find((x) => x.name === name);
  if (!r) throw new Error(`the pack has no rule ${name}`);
  return r;
}

async function hits(url: string, n: number, init?: RequestInit): Promise<number[]> {
  return await Promise.all(
    Array.from({ length: n }, async () => {
      const r = await fetch(url, init);
      await r.body?.cancel();
      return r.status;
    }),
  );
}

const nullSink: IncidentSink = {
  postCard: async (_v: IncidentView, channel: string) => ({ channel, ts: `${Date.now()}.000000` }),
  updateCard: async () => undefined,
  threadNote: async () => undefined,
};

/** A service evaluating the pack's `name` (Prometheus `for` set to 0) against `promUrl` and `checks`. */
function serviceFor(name: string, o: { promUrl?: string; checks?: Doctor } = {}): AlertService {
  const r = rule(name);
  const only: AlertRule = r.kind === 'prom' ? { ...r, forMs: 0 } : r;
  const c = o.promUrl ? new PrometheusQueryClient({ url: o.promUrl, timeoutMs: 5000 }) : client;
  return new AlertService({ store: new MemoryStateStore(), sink: nullSink, rules: [only], envs: ['demo'], prometheusFor: () => c, checks: o.checks ?? doctor, defaultChannel: 'C0OPS' });
}

async function phaseOf(svc: AlertService, name: string): Promise<string> {
  return (await svc.list('demo')).alerts.find((a) => a.rule === name)?.phase ?? 'inactive';
}

/** Tick until `name` fires (fail after `timeoutMs`, saying what the rule last saw). */
async function firesWithin(svc: AlertService, name: string, timeoutMs = 60_000, during?: () => Promise<unknown>): Promise<number> {
  const until = Date.now() + timeoutMs;
  let ticks = 0;
  for (;;) {
    if (during) await during();
    const res = await svc.tick('demo');
    ticks++;
    if ((await phaseOf(svc, name)) === 'firing') return ticks;
    if (Date.now() > until) {
      const seen = res.alerts.find((a) => a.rule === name);
      throw new Error(`${name} did not fire within ${timeoutMs} ms (${ticks} ticks; last: ${seen?.phase ?? 'no instance'} ${seen?.summary ?? ''} ${JSON.stringify(res.ruleErrors)})`);
    }
    await sleep(1000);
  }
}

async function exprSeries(expr: string, url = prom.url): Promise<number> {
  const r = await new PrometheusQueryClient({ url, timeoutMs: 5000 }).query(expr);
  if (r.kind !== 'ok') throw new Error(`${expr}: ${r.kind} ${r.error}`);
  return r.series.length;
}

async function waitForExpr(expr: string, want: 'data' | 'empty', url = prom.url, timeoutMs = 30_000, during?: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (during) await during();
    const n = await exprSeries(expr, url);
    if ((want === 'data') === n > 0) return;
    if (Date.now() > until) throw new Error(`${expr} still ${want === 'data' ? 'empty' : `returns ${n} series`} after ${timeoutMs} ms`);
    await sleep(1000);
  }
}

async function withFault<T>(fault: FaultName, fn: () => Promise<T>): Promise<T> {
  backend.faults.set(fault, true);
  await backend.faults.settled();
  try {
    return await fn();
  } finally {
    backend.faults.set(fault, false);
    await backend.faults.settled();
  }
}

/** Log in as the service account and open one authenticated chat socket on `b` (token via the real endpoint). */
async function chatSocket(b: DemoBackend, conv: string): Promise<WebSocket> {
  const login = await fetch(`${b.url}/api/v1/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }) });
  await login.body?.cancel();
  const access = /access_token=([^;]+)/.exec(login.headers.getSetCookie().join('\n'))?.[1];
  if (!access) throw new Error(`login answered ${login.status} without an access_token cookie`);
  const tok = await fetch(`${b.url}/api/v1/auth/ws-connection-token/`, { method: 'POST', headers: { authorization: `Bearer ${access}` } });
  const { connection_token } = (await tok.json()) as { connection_token: string };
  const ws = new WebSocket(`${b.wsUrl}/ws/chat/${conv}/?connection_token=${connection_token}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`chat handshake answered HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

/** Send `n` chat messages and wait until the server answered each (error frames included). */
async function sendMessages(ws: WebSocket, n: number): Promise<string[]> {
  const errors: string[] = [];
  let answered = 0;
  const done = new Promise<void>((resolve) => {
    const on = (d: WebSocket.RawData): void => {
      const f = JSON.parse(String(d)) as { event?: string; error?: string };
      if (f.event === 'task_queued' || f.event === 'error' || f.error) answered++;
      if (f.error) errors.push(f.error);
      if (answered >= n) {
        ws.off('message', on);
        resolve();
      }
    };
    ws.on('message', on);
  });
  for (let i = 0; i < n; i++) ws.send(JSON.stringify({ message: `hello ${i}` }));
  await Promise.race([done, sleep(20_000)]);
  return errors;
}

const PROM_RULES = ['DjangoScrapeTargetDown', 'DjangoMetricsAbsent', 'Django5xxRatioHigh', 'RateLimitHitsHigh'];
const CHECK_RULES = ['BackendDown', 'RedisDown', 'TokenIssuanceFailing', 'HandshakeRejections', 'CeleryBacklog', 'RedisMemoryHigh', 'RedisOutOfMemory', 'MetricsEndpointMissing'];
const ENGINE_RULES = ['TokensIssuedNotConsumed', 'OriginRejections', 'ContainerRestartLoop'];

test('the pack: every rule is one of those tested here, every expression parses in Prometheus', async () => {
  expect(rules.map((r) => r.name).sort()).toEqual([...PROM_RULES, ...CHECK_RULES, ...ENGINE_RULES].sort());
  for (const r of rules) if (r.kind === 'prom') expect((await client.query(r.expr)).kind).toBe('ok');
});

test('healthy stack: every Prometheus expression returns nothing, every check rule stays quiet', async () => {
  for (const r of rules) if (r.kind === 'prom') expect({ rule: r.name, series: await exprSeries(r.expr) }).toEqual({ rule: r.name, series: 0 });
  const svc = new AlertService({ store: new MemoryStateStore(), sink: nullSink, rules: rules.map((r) => (r.kind === 'prom' ? { ...r, forMs: 0 } : r)), envs: ['demo'], prometheusFor: () => client, checks: doctor, defaultChannel: 'C0OPS' });
  const errors: unknown[] = [];
  for (let i = 0; i < 4; i++) errors.push(...(await svc.tick('demo')).ruleErrors);
  expect(errors).toEqual([]);
  expect((await svc.list('demo')).alerts).toEqual([]);
});

// ── check rules: the demo's own faults ───────────────────────────────────────────────────────────────────────

test('TokenIssuanceFailing fires when the token endpoint answers 500 (token-500)', async () => {
  await withFault('token-500', async () => expect(await firesWithin(serviceFor('TokenIssuanceFailing'), 'TokenIssuanceFailing')).toBeGreaterThanOrEqual(2));
});

test('HandshakeRejections fires when authenticated handshakes get 403 (token-expired)', async () => {
  await withFault('token-expired', async () => expect(await firesWithin(serviceFor('HandshakeRejections'), 'HandshakeRejections')).toBeGreaterThanOrEqual(2));
});

test('MetricsEndpointMissing fires when neither /metricsmetrics nor /metrics serves the exporter (metrics-path-missing)', async () => {
  await withFault('metrics-path-missing', async () => expect(await firesWithin(serviceFor('MetricsEndpointMissing'), 'MetricsEndpointMissing')).toBeGreaterThanOrEqual(3));
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
});

test('BackendDown fires when the web service accepts connections and never answers (backend-hang)', async () => {
  await withFault('backend-hang', async () => expect(await firesWithin(serviceFor('BackendDown'), 'BackendDown', 90_000)).toBeGreaterThanOrEqual(2));
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
});

test('CeleryBacklog fires when tasks pile up in the broker list (LLEN celery ≥ the warn level)', async () => {
  const broker = new Redis(redis.url, { db: 0, maxRetriesPerRequest: 1 });
  try {
    await broker.rpush('celery', ...Array.from({ length: 150 }, (_, i) => JSON.stringify({ id: `task-${i}` })));
    expect(await firesWithin(serviceFor('CeleryBacklog'), 'CeleryBacklog')).toBeGreaterThanOrEqual(3);
  } finally {
    await broker.del('celery');
    broker.disconnect();
  }
});

test('RedisMemoryHigh fires when used memory nears maxmemory with the stack\'s volatile-lru; RedisOutOfMemory when it is full with noeviction (redis-oom)', async () => {
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    expect(used).toBeGreaterThan(0);
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    // ~70 % of maxmemory: above the 60 % warn level, below the 80 % fail level, with room for the usual drift.
    await admin.config('SET', 'maxmemory', String(Math.round(used / 0.7)));
    expect(await firesWithin(serviceFor('RedisMemoryHigh'), 'RedisMemoryHigh')).toBeGreaterThanOrEqual(3);
  } finally {
    await admin.config('SET', 'maxmemory', '0');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    admin.disconnect();
  }
  await withFault('redis-oom', async () => expect(await firesWithin(serviceFor('RedisOutOfMemory'), 'RedisOutOfMemory')).toBeGreaterThanOrEqual(2));
});

test('RedisDown fires when the Redis the bot watches stops answering (its redis-server stopped)', async () => {
  // A redis-server of this test's own (the demo keeps the shared one): the env watches it, then it is stopped.
  const own = await startRedisServer();
  extra.push(own);
  const c = looseThresholds(demoConfig(parseConfig({}), backend, own.url, prom.url));
  const d = Doctor.create(c, { stateDir: null });
  try {
    const svc = serviceFor('RedisDown', { checks: d });
    await svc.tick('demo');
    expect(await phaseOf(svc, 'RedisDown')).toBe('inactive');
    await own.stop();
    expect(await firesWithin(svc, 'RedisDown')).toBeGreaterThanOrEqual(2);
  } finally {
    await d.close();
  }
});

test('log and container rules need a container engine: on the demo (none) they neither fire nor resolve, and hold no other rule back', async () => {
  // The demo has no engine (docker.enabled false): those checks are not among the env's checks.
  expect(doctor.checkNames('demo')).not.toEqual(expect.arrayContaining(['backend-logs']));
  expect(doctor.checkNames('demo')).not.toContain('container-restarts');
  // With the faults the rules are for switched on (the logs would show them) and a real failure next to them.
  const svc = new AlertService({ store: new MemoryStateStore(), sink: nullSink, rules: [...ENGINE_RULES.map(rule), rule('TokenIssuanceFailing')], envs: ['demo'], prometheusFor: () => client, checks: doctor, defaultChannel: 'C0OPS' });
  backend.faults.set('ssl-redirect', true);
  backend.faults.set('origin-rejected', true);
  backend.faults.set('token-500', true);
  const errors: unknown[] = [];
  for (let i = 0; i < 4; i++) errors.push(...(await svc.tick('demo')).ruleErrors);
  expect(errors).toEqual([]);
  const listed = (await svc.list('demo')).alerts;
  // The rule on an enabled check fired; the engine rules have no instance at all.
  expect(listed.map((a) => `${a.rule}:${a.phase}`)).toEqual(['TokenIssuanceFailing:firing']);
});

// ── Prometheus rules: the demo's real series ─────────────────────────────────────────────────────────────────

test('Django5xxRatioHigh fires when more than 5 % of answers are 5xx (redis-down: login answers 500)', async () => {
  const r = rule('Django5xxRatioHigh');
  if (r.kind !== 'prom') throw new Error('not a Prometheus rule');
  await withFault('redis-down', async () => {
    const login = (): Promise<number[]> =>
      hits(`${backend.url}/api/v1/auth/login/`, 10, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }) });
    expect(new Set(await login())).toEqual(new Set([500]));
    await waitForExpr(r.expr, 'data', prom.url, 30_000, login);
    expect(await firesWithin(serviceFor('Django5xxRatioHigh'), 'Django5xxRatioHigh', 30_000, login)).toBeGreaterThanOrEqual(1);
  });
});

test('RateLimitHitsHigh: with DEBUG on (local compose) the counter never moves however many messages are sent — quiet by design; with DEBUG off it fires', async () => {
  const r = rule('RateLimitHitsHigh');
  if (r.kind !== 'prom') throw new Error('not a Prometheus rule');
  // Local compose (DEBUG=True): 80 messages on one socket, well past the 50/hour limit, and no hit is counted.
  const local = await chatSocket(backend, 'pack-debug');
  try {
    expect(await sendMessages(local, 80)).not.toContainEqual(expect.stringMatching(/Rate limit exceeded/));
  } finally {
    local.close();
  }
  await sleep(3000);
  expect(await exprSeries('allthrive_rate_limit_hits_total')).toBe(0);
  expect(await exprSeries(r.expr)).toBe(0);

  // Production settings (DEBUG off): a backend and a Prometheus of their own; past the limit every message is a hit.
  const prodRedis = await startRedisServer();
  extra.push(prodRedis);
  const prod = await startDemoBackend({ redisUrl: prodRedis.url, debug: false, loginRatePerMinute: 100_000, drfRatesPerMinute: { anon: 100_000, user: 100_000 } });
  extra.push(prod);
  const prodProm = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${prod.port}`) });
  extra.push(prodProm);
  await waitForScrape(prodProm.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  const ws = await chatSocket(prod, 'pack-prod');
  try {
    // 51 messages: the 51st is the first hit, so the series exists before the burst is counted by increase().
    expect(await sendMessages(ws, 51)).toContainEqual(expect.stringMatching(/Rate limit exceeded/));
    await waitForExpr('allthrive_rate_limit_hits_total{limit_type="websocket_message"}', 'data', prodProm.url);
    await sleep(2500);
    expect((await sendMessages(ws, 40)).filter((e) => /Rate limit exceeded/.test(e)).length).toBe(40);
    await waitForExpr(r.expr, 'data', prodProm.url);
    expect(await firesWithin(serviceFor('RateLimitHitsHigh', { promUrl: prodProm.url }), 'RateLimitHitsHigh', 30_000)).toBeGreaterThanOrEqual(1);
  } finally {
    ws.close();
  }
});

test('DjangoMetricsAbsent fires on a Prometheus without a django scrape job; quiet on the stack\'s own', async () => {
  const r = rule('DjangoMetricsAbsent');
  if (r.kind !== 'prom') throw new Error('not a Prometheus rule');
  expect(await exprSeries(r.expr)).toBe(0);
  const renamed = await startPrometheus({ scrapeTargets: [{ job: 'web', target: `127.0.0.1:${backend.port}`, metricsPath: '/metrics' }] });
  extra.push(renamed);
  await waitForScrape(renamed.url, 'web', 'up', 30_000);
  await waitForExpr(r.expr, 'data', renamed.url);
  expect(await firesWithin(serviceFor('DjangoMetricsAbsent', { promUrl: renamed.url }), 'DjangoMetricsAbsent', 30_000)).toBeGreaterThanOrEqual(1);
});

test('DjangoScrapeTargetDown fires when the exporter is only at /metricsmetrics (the real default) and resolves when /metrics serves it', async () => {
  const r = rule('DjangoScrapeTargetDown');
  if (r.kind !== 'prom') throw new Error('not a Prometheus rule');
  const svc = serviceFor('DjangoScrapeTargetDown');
  await withFault('metrics-wrong-path', async () => {
    await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'down', 30_000);
    expect(await firesWithin(svc, 'DjangoScrapeTargetDown', 30_000)).toBeGreaterThanOrEqual(1);
  });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  await waitForExpr(r.expr, 'empty');
  await svc.tick('demo');
  expect(await phaseOf(svc, 'DjangoScrapeTargetDown')).not.toBe('firing');
});

test('the pack\'s notes match the app: allthrive_active_conversations is always 0 and no rule uses it; there is no WebSocket handshake metric', async () => {
  const q = await client.query('allthrive_active_conversations');
  expect(q.kind === 'ok' ? q.series.map((s) => s.value) : q).toEqual([0]);
  for (const x of rules) if (x.kind === 'prom') expect(x.expr).not.toMatch(/active_conversations|handshake/i);
  const names = await fetch(`${prom.url}/api/v1/label/__name__/values`).then((res) => res.json() as Promise<{ data: string[] }>);
  expect(names.data.filter((n) => /handshake|websocket/i.test(n))).toEqual([]);
});

