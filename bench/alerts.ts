/**
 * Alert evaluation and delivery at scale, against real peers (demo backend + redis-server + Prometheus 2.42 +
 * the Slack stand-in):
 *
 * 1. **500 rules per 15 s tick**: one tick evaluates 500 PromQL rules over the demo's series (8 queries in
 *    flight). CPU used by the bot per tick, as a share of one core at a 15 s interval: target ≤ 10 %. Baseline:
 *    what a person would script instead — `curl` per rule against the same Prometheus — timed the same way.
 * 2. **firing → Slack**: from the start of the tick that finds a rule firing to the stand-in receiving its
 *    `chat.postMessage`: target ≤ 1 s (median and max of 5).
 * 3. **1,000 notifications in a burst**: 1,000 rules fire in one tick; every card must reach the stand-in,
 *    paced by the outbound queue, with the stand-in answering HTTP 429 (Retry-After) on the way: none lost.
 *
 *   npx tsx bench/alerts.ts            (or npm run bench -- alerts)
 */
import { spawnSync } from 'node:child_process';
import { parseRuleText } from '../src/alerts/rules/load';
import { AlertService } from '../src/alerts/service';
import type { IncidentSink } from '../src/alerts/sink';
import { loadConfig } from '../src/config/load';
import { Doctor } from '../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../src/demo/demo-config';
import { startDemoBackend } from '../src/demo/index';
import { startPrometheus, waitForScrape } from '../src/demo/prometheus-process';
import { startRedisServer } from '../src/demo/redis-process';
import { MemoryStateStore } from '../src/state/memory-store';
import { PrometheusQueryClient } from '../src/targets/prometheus';
import { startSlackHarness } from '../test/peers/slack-harness';
import { median, type BenchResult } from './types';

const RULES = 500;
const BURST = 1000;
const INTERVAL_MS = 15_000;

function ruleFile(n: number, expr: (i: number) => string): string {
  const rules = Array.from({ length: n }, (_, i) => `      - alert: R${i}\n        expr: '${expr(i)}'\n        annotations: { summary: 'rule ${i}' }`);
  return `groups:\n  - name: bench\n    interval: 15s\n    rules:\n${rules.join('\n')}\n`;
}

const quiet: IncidentSink = {
  postCard: async (_v, channel) => ({ channel, ts: '1.0' }),
  updateCard: async () => undefined,
  threadNote: async () => undefined,
};

export async function benchAlerts(): Promise<BenchResult> {
  const redis = await startRedisServer();
  const backend = await startDemoBackend({ redisUrl: redis.url, debug: true });
  const prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  try {
    await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
    const client = new PrometheusQueryClient({ url: prom.url, timeoutMs: 10_000 });
    const statuses = ['200', '401', '404', '500', '503'];
    // Realistic expressions over the demo's real series (rates, ratios, sums by label), none firing.
    const expr = (i: number): string =>
      i % 3 === 0
        ? `sum(rate(django_http_responses_total_by_status_total{status="${statuses[i % 5]}"}[1m])) > ${1000 + i}`
        : i % 3 === 1
          ? `sum(rate(django_http_responses_total_by_status_total{status=~"5.."}[5m])) / sum(rate(django_http_responses_total_by_status_total[5m])) > ${2 + i}`
          : `sum by (view) (rate(django_http_requests_total_by_view_transport_method_total[5m])) > ${1000 + i}`;
    const rules = parseRuleText(ruleFile(RULES, expr), 'bench.yml', { defaultIntervalMs: INTERVAL_MS }).rules;
    if (rules.length !== RULES) throw new Error('bench rules did not load');

    // ── 1. 500 rules per tick ────────────────────────────────────────────────────────────────────────────
    const svc = new AlertService({ store: new MemoryStateStore(), sink: quiet, rules, envs: ['demo'], prometheusFor: () => client, defaultChannel: 'C0OPS' });
    await svc.tick('demo'); // warm-up: connections, JIT
    const cpuPerTick: number[] = [];
    const wallPerTick: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await svc.tick('demo');
      wallPerTick.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuPerTick.push((c.user + c.system) / 1000);
      if (r.queries !== RULES || r.ruleErrors.length) throw new Error(`tick asked ${r.queries} queries, ${r.ruleErrors.length} errors: ${r.ruleErrors[0]?.error}`);
    }
    const cpuMs = median(cpuPerTick);
    const corePercent = Math.round((cpuMs / INTERVAL_MS) * 1000) / 10;

    // Baseline: a script doing the same queries with curl, one process per rule (what a person would write).
    const script = rules.map((r) => (r.kind === 'prom' ? `curl -s -o /dev/null --data-urlencode ${shellQuote(`query=${r.expr}`)} ${prom.url}/api/v1/query` : '')).join('\n');
    const b0 = performance.now();
    const res = spawnSync('bash', ['-c', script], { stdio: 'ignore' });
    const baselineMs = performance.now() - b0;
    if (res.status !== 0) throw new Error('baseline script failed');

    // ── 2. firing → Slack ─────────────────────────────────────────────────────────────────────────────────
    const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url);
    const doctor = Doctor.create(cfg, { stateDir: null });
    const h = await startSlackHarness({ transport: 'http', config: cfg, doctor, queue: { intervalMs: 10, burst: 3, baseBackoffMs: 50 } });
    const latencies: number[] = [];
    let delivered = 0;
    let rateLimited = 0;
    let burstMs = 0;
    try {
      for (let i = 0; i < 5; i++) {
        const one = parseRuleText(ruleFile(1, () => 'vector(1) > 0').replace('R0', `Fire${i}`), 'one.yml', { defaultIntervalMs: INTERVAL_MS }).rules;
        const s = new AlertService({ store: new MemoryStateStore(), sink: h.app.incidentSink(), rules: one, envs: ['demo'], prometheusFor: () => client, defaultChannel: 'C0OPS' });
        const before = h.standIn.callsTo('chat.postMessage').length;
        const t0 = Date.now();
        await s.tick('demo');
        await h.app.idle(5000);
        const call = h.standIn.callsTo('chat.postMessage')[before];
        if (!call) throw new Error('no card posted');
        latencies.push(call.at - t0);
        await s.stop();
      }

      // ── 3. 1,000 notifications in a burst ───────────────────────────────────────────────────────────────
      const many = parseRuleText(ruleFile(BURST, () => 'vector(1) > 0'), 'burst.yml', { defaultIntervalMs: INTERVAL_MS }).rules;
      const s = new AlertService({ store: new MemoryStateStore(), sink: h.app.incidentSink(), rules: many, envs: ['demo'], prometheusFor: () => client, defaultChannel: 'C0OPS' });
      h.standIn.rateLimit('chat.postMessage', 1, 3);
      const before = h.standIn.callsTo('chat.postMessage').filter((c) => c.ok).length;
      const t0 = Date.now();
      await s.tick('demo');
      await h.app.idle(120_000);
      burstMs = Date.now() - t0;
      const calls = h.standIn.callsTo('chat.postMessage');
      delivered = calls.filter((c) => c.ok).length - before;
      rateLimited = calls.filter((c) => c.status === 429).length;
      const listed = (await s.list('demo')).alerts.filter((a) => a.incident).length;
      if (listed !== BURST) throw new Error(`${listed} of ${BURST} alerts delivered to an incident`);
      await s.stop();
    } finally {
      await h.stop();
      await doctor.close();
    }
    const latMedian = median(latencies);
    const latMax = Math.max(...latencies);
    const pass = corePercent <= 10 && latMax <= 1000 && delivered === BURST;
    return {
      name: 'alerts',
      ours: {
        medianMs: Math.round(median(wallPerTick)),
        extra: {
          rules: RULES,
          cpuMsPerTick: Math.round(cpuMs),
          corePercentAt15s: corePercent,
          firingToSlackMedianMs: latMedian,
          firingToSlackMaxMs: latMax,
          burstDelivered: delivered,
          burstLost: BURST - delivered,
          burst429s: rateLimited,
          burstSeconds: Math.round(burstMs / 100) / 10,
        },
      },
      baseline: { medianMs: Math.round(baselineMs), command: `curl per rule, ${RULES} rules, same Prometheus` },
      ratio: Math.round((median(wallPerTick) / baselineMs) * 100) / 100,
      target: `≤ 10 % of one core per 15 s tick (500 rules); firing → Slack ≤ 1 s; ${BURST} burst: none lost`,
      pass,
    };
  } finally {
    await prom.stop();
    await backend.stop();
    await redis.stop();
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

if (require.main === module) {
  void benchAlerts().then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
