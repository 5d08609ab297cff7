/**
 * Alert rules end to end against real peers: a real Prometheus 2.42 scraping the demo backend every second,
 * the real Slack adapter (HTTP mode) in front of the strict Slack stand-in, the real outbound queue and the
 * real buttons. Counters are driven by real requests to the demo backend (404s: unknown paths; 405s: GET on
 * the token endpoint). Every Slack payload is validated by the stand-in (no refusals, no live markup).
 *
 * Evaluation is ticked by the test (1 s rule interval, the cron job is tested in alerts-schedule.test.ts), so
 * each scenario waits on behaviour, not on a wall clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { AlertStore } from '../../src/alerts/alert-store';
import { alertmanagerHandler } from '../../src/alerts/alertmanager';
import { graphForIncident } from '../../src/alerts/graph';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import type { StateStore } from '../../src/state/store';
import { allChecks } from '../../src/checks/registry';
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import type { StoredMessage } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';
import { MemoryStateStore as MemoryStore } from '../../src/state/memory-store';

jest.setTimeout(120_000);

let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let doctor: Doctor;
let h: SlackHarness;
let dir: string;
let current: AlertService | undefined;
const AM_TOKEN = 'am-shared-secret-for-tests';
const CHANNEL = 'C0OPS';

const RULES = `groups:
  - name: demo
    interval: 1s
    rules:
      - alert: Many404s
        expr: sum(increase(django_http_responses_total_by_status_total{status="404"}[4s])) > 5
        for: 2s
        annotations:
          summary: 'Many 404 answers ({{ $value | humanize }} in 4 s)'
        runbook: target-system §6
        remediations: [restart-backend]
      - alert: Many401s
        expr: sum(increase(django_http_responses_total_by_status_total{status="401"}[4s])) > 5
        annotations:
          summary: Many 401 answers
        depends_on: [Many404s]
      - alert: Any404
        expr: sum(increase(django_http_responses_total_by_status_total{status="404"}[3s])) > 0
        annotations:
          summary: Some 404 answers
`;

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error(`the \`prometheus\` binary is not on PATH; these tests need a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-alerts-'));
  writeFileSync(path.join(dir, 'rules.yml'), RULES);
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true, drfRatesPerMinute: { anon: 100_000, user: 100_000 } });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 20000);
  // The counters' series must exist before the tests (increase() needs two samples of a series).
  await traffic(404, 1);
  await traffic(401, 1);
  await sleep(2500);
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url);
  doctor = Doctor.create(cfg, { stateDir: null });
  h = await startSlackHarness({
    transport: 'http',
    config: cfg,
    doctor,
    extraRoutes: {
      '/alertmanager': alertmanagerHandler({ token: AM_TOKEN, env: 'demo', receive: (env, alerts) => current!.receiveAlertmanager(env, alerts) }),
    },
  });
}, 90_000);

afterAll(async () => {
  await current?.stop();
  await h?.stop();
  await doctor?.close();
  await prom?.stop();
  await backend?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await current?.stop();
  current = undefined;
  // Every payload the bot sent was one Slack would accept, and nothing from the stack could ping anyone.
  expect(h.standIn.refusals).toEqual([]);
  expect(h.standIn.liveMarkup).toEqual([]);
});

function service(opts: { store?: StateStore; rules?: string[]; flap?: { transitions: number; windowMs: number }; silenceNoticeMs?: number; promUrl?: string } = {}): AlertService {
  const loaded = loadRuleFiles([path.join(dir, 'rules.yml')], { defaultIntervalMs: 1000, checkNames: allChecks.map((c) => c.name) });
  expect(loaded.problems).toEqual([]);
  const rules = opts.rules ? loaded.rules.filter((r) => opts.rules!.includes(r.name)) : loaded.rules;
  const client = new PrometheusQueryClient({ url: opts.promUrl ?? prom.url, timeoutMs: 2000 });
  const svc = new AlertService({
    store: opts.store ?? new MemoryStore(),
    sink: h.app.incidentSink(),
    rules,
    envs: ['demo'],
    prometheusFor: () => client,
    checks: doctor,
    defaultChannel: CHANNEL,
    flap: opts.flap ?? { transitions: 100, windowMs: 60_000 },
    silenceNoticeMs: opts.silenceNoticeMs ?? 300_000,
    graph: (view) => graphForIncident(view, client, 120_000),
  });
  current = svc;
  doctor.alerts = svc;
  return svc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tick every 500 ms until `pred` holds (or fail after `timeoutMs`, saying what was awaited). */
async function tickUntil(svc: AlertService, what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await svc.tick('demo');
    await h.app.idle(5000);
    if (await pred()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await sleep(500);
  }
}

/** Drive a status counter: 404 = unknown paths, 401 = the token endpoint without credentials. */
async function traffic(status: 404 | 401, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch(status === 404 ? `${backend.url}/no-such-page-${i}/` : `${backend.url}/api/v1/auth/ws-connection-token/`).then((r) => r.body?.cancel()),
    ),
  );
}

/** Keep traffic flowing in the background until the returned stop() is called. */
function keepTraffic(status: 404 | 401, perSecond = 10): () => void {
  const t = setInterval(() => void traffic(status, perSecond).catch(() => undefined), 1000);
  void traffic(status, perSecond);
  return () => clearInterval(t);
}

const cards = (): StoredMessage[] => h.standIn.channelMessages(CHANNEL);
const cardFor = (text: RegExp): StoredMessage | undefined => cards().filter((m) => text.test(m.text)).at(-1);
const threadOf = (m: StoredMessage): StoredMessage[] => h.standIn.thread(CHANNEL, m.ts);
const blocksText = (m: StoredMessage): string => JSON.stringify(m.blocks);

test('a counter driven across the threshold fires after `for`, resolves when it falls back; the card turns green; a PNG of the series lands in its thread', async () => {
  const svc = service({ rules: ['Many404s'] });
  const before = cards().length;
  const stop = keepTraffic(404, 10);
  let firstSeenPending = 0;
  try {
    await tickUntil(svc, 'Many404s pending', async () => {
      const a = (await svc.list('demo')).alerts.find((x) => x.rule === 'Many404s');
      if (a?.phase === 'pending') firstSeenPending ||= Date.now();
      return a?.phase === 'pending' || a?.phase === 'firing';
    });
    expect(cards().length).toBe(before); // pending is not announced
    await tickUntil(svc, 'Many404s card', () => cards().length > before);
  } finally {
    stop();
  }
  const card = cards().at(-1)!;
  expect(card.text).toMatch(/^Firing: Many 404 answers/);
  expect(blocksText(card)).toMatch(/Acknowledge/);
  expect(blocksText(card)).toMatch(/Fix: restart-backend/);
  if (firstSeenPending) expect(Date.now() - firstSeenPending).toBeGreaterThanOrEqual(1500);

  await tickUntil(svc, 'Many404s resolved', () => /^Resolved: /.test(cards().at(-1)!.text));
  const resolved = cards().at(-1)!;
  expect(resolved.ts).toBe(card.ts); // updated in place, not re-posted
  expect(blocksText(resolved)).not.toMatch(/Acknowledge/);
  expect(threadOf(card).map((m) => m.text)).toContainEqual(expect.stringMatching(/Many404s resolved after/));

  // The graph: a valid PNG of the series, uploaded with the current flow into the card's thread.
  await svc.idle();
  const files = [...h.standIn.files.values()].filter((f) => f.threadTs === card.ts);
  expect(files).toHaveLength(1);
  const f = files[0]!;
  expect(f).toMatchObject({ completed: true, channel: CHANNEL, filename: expect.stringMatching(/^Many404s-\d+\.png$/) });
  const png = PNG.sync.read(f.data!);
  expect([png.width, png.height]).toEqual([800, 320]);
  // The series line (#e01e5a) and the dashed threshold are drawn: plenty of pixels in the series colour.
  let red = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === 0xe0 && png.data[i + 1] === 0x1e && png.data[i + 2] === 0x5a) red++;
  expect(red).toBeGreaterThan(200);
  expect(f.altText).toMatch(/threshold 5/);
  expect(h.standIn.callsTo('files.getUploadURLExternal')).toHaveLength(1);
});

test('root cause and dependency: 401s that depend on the 404s fire first, then move under the cause\'s card when it fires; one card lists them as held back', async () => {
  const svc = service({ rules: ['Many404s', 'Many401s'] });
  const before = cards().length;
  const stop401 = keepTraffic(401, 10);
  let stop404 = (): void => undefined;
  try {
    await tickUntil(svc, 'the symptom\'s own card', () => cards().slice(before).some((m) => /Many 401 answers/.test(m.text)));
    const early = cards().slice(before).find((m) => /Many 401 answers/.test(m.text))!;
    stop404 = keepTraffic(404, 10);
    await tickUntil(svc, 'cause card listing the symptom', () => cards().slice(before).some((m) => /^Firing: Many 404 answers.*\(\+1 held back\)/.test(m.text)));
    const cause = cards().slice(before).find((m) => /^Firing: Many 404 answers/.test(m.text))!;
    expect(blocksText(cause)).toMatch(/Held back — symptoms of this cause/);
    expect(blocksText(cause)).toMatch(/Many401s/);
    // The symptom's early card says where it went (no second red card for one cause).
    const moved = cards().find((m) => m.ts === early.ts)!;
    expect(moved.text).toMatch(/^Merged: Many 401 answers → Many 404 answers/);
    expect(blocksText(moved)).not.toMatch(/Acknowledge/);
    expect(threadOf(early).map((m) => m.text)).toContainEqual(expect.stringMatching(/Moved under/));
    expect((await svc.list('demo')).alerts.find((a) => a.rule === 'Many401s')?.heldBy).toMatch(/symptom of/);
  } finally {
    stop401();
    stop404();
  }
  await tickUntil(svc, 'cause resolved', () => cards().slice(before).some((m) => /^Resolved: Many 404 answers/.test(m.text)));
})

test('buttons on the card: Acknowledge names who in the card and thread; Silence 1 h persists and holds a repeat; Run diagnostics answers in the thread', async () => {
  const store = new MemoryStore();
  const svc = service({ rules: ['Any404'], store });
  const before = cards().length;
  await traffic(404, 3);
  await tickUntil(svc, 'Any404 card', () => cards().length > before);
  let card = cards().at(-1)!;

  await h.driver.action(h.standIn.click(card, { kind: 'alert-ack' }, 'U0ALICE'));
  await h.app.idle(5000);
  await svc.idle();
  await h.app.idle(5000);
  card = cards().at(-1)!;
  expect(blocksText(card)).toMatch(/Acknowledged by <@U0ALICE>/);
  expect(blocksText(card)).not.toMatch(/"Acknowledge"/);
  expect(threadOf(card).map((m) => blocksText(m))).toContainEqual(expect.stringMatching(/Acknowledged by <@U0ALICE>/));

  await h.driver.action(h.standIn.click(card, { kind: 'alert-silence' }, 'U0BOB'));
  await svc.idle();
  await h.app.idle(5000);
  const silences = await new AlertStore(store).silences();
  expect(silences).toEqual([expect.objectContaining({ createdBy: 'U0BOB', matchers: { alertname: 'Any404' } })]);
  expect(silences[0]!.endsAt - silences[0]!.startsAt).toBe(3_600_000);
  card = cards().at(-1)!;
  expect(blocksText(card)).toMatch(/Silenced by <@U0BOB> until/);

  await h.driver.action(h.standIn.click(card, { kind: 'alert-diagnose' }, 'U0ALICE'));
  const verdictInThread = (): boolean => threadOf(card).some((m) => /^\S+ demo: /.test(m.text) && m.blocks.length > 2);
  for (let i = 0; i < 60 && !verdictInThread(); i++) await sleep(500);
  expect(verdictInThread()).toBe(true);

  // Resolve, then fire again inside the silence: the card goes green, the repeat is held (no "fired again").
  await tickUntil(svc, 'resolved', () => /^Resolved/.test(cards().at(-1)!.text), 20_000);
  await traffic(404, 3);
  await tickUntil(svc, 'firing again (held)', async () => (await svc.list('demo')).alerts.some((a) => a.rule === 'Any404' && a.phase === 'firing'), 20_000);
  expect(threadOf(card).map((m) => m.text)).not.toContainEqual(expect.stringMatching(/fired again/));
  expect((await svc.list('demo')).alerts.find((a) => a.rule === 'Any404')?.silencedUntil).toBeGreaterThan(Date.now());
});

test('a silence expires with a notice in the thread before it ends, then notifications come back', async () => {
  const svc = service({ rules: ['Any404'], silenceNoticeMs: 3000 });
  const before = cards().length;
  await traffic(404, 3);
  await tickUntil(svc, 'Any404 card', () => cards().length > before);
  const card = cards().at(-1)!;
  const key = (await svc.openIncidents())[0]!.key;
  expect((await svc.silenceIncident(key, 6000, 'U0ALICE')).ok).toBe(true);
  const notes = (): string[] => threadOf(card).map((m) => m.text);
  await tickUntil(svc, 'expiry notice', () => notes().some((t) => /ends in/.test(t)), 15_000);
  expect(notes().some((t) => /has ended/.test(t))).toBe(false);
  await tickUntil(svc, 'ended notice', () => notes().some((t) => /has ended/.test(t)), 15_000);
  expect(blocksText(cards().find((m) => m.ts === card.ts)!)).not.toMatch(/Silenced by/);
  await tickUntil(svc, 'resolved', () => /^Resolved/.test(cards().find((m) => m.ts === card.ts)!.text), 20_000);
});

test('flapping is detected and marked on the card instead of firing and resolving every tick', async () => {
  const svc = service({ rules: ['Any404'], flap: { transitions: 4, windowMs: 120_000 } });
  const before = cards().length;
  for (let cycle = 0; cycle < 3; cycle++) {
    await traffic(404, 3);
    await tickUntil(svc, `cycle ${cycle} firing`, async () => (await svc.list('demo')).alerts.some((a) => a.rule === 'Any404' && a.phase === 'firing'), 20_000);
    await tickUntil(svc, `cycle ${cycle} resolved`, async () => !(await svc.list('demo')).alerts.some((a) => a.rule === 'Any404'), 20_000);
    if (/Flapping/.test(cards().at(-1)?.text ?? '')) break;
  }
  const card = cards().at(-1)!;
  expect(cards().length).toBe(before + 1);
  expect(card.text).toMatch(/^Flapping: /);
  expect(blocksText(card)).toMatch(/fire\/resolve changes recently/);
  expect(threadOf(card).map((m) => m.text)).toContainEqual(expect.stringMatching(/is flapping/));
});

test('maintenance: nothing is announced during the window; after it, what changed is told and what was already firing is not re-posted', async () => {
  const svc = service({ rules: ['Many404s', 'Any404'] });
  const before = cards().length;
  await traffic(404, 2);
  await tickUntil(svc, 'Any404 card', () => cards().length === before + 1);
  const stop = keepTraffic(404, 10);
  await svc.startMaintenance('demo', 6000, 'upgrading the demo', 'U0ALICE');
  try {
    await tickUntil(svc, 'Many404s firing (held)', async () => (await svc.list('demo')).alerts.some((a) => a.rule === 'Many404s' && a.phase === 'firing'), 20_000);
    expect(cards().length).toBe(before + 1);
    await tickUntil(svc, 'window over, Many404s announced', () => cards().length === before + 2, 20_000);
  } finally {
    stop();
  }
  expect(cards().at(-1)!.text).toMatch(/^Firing: Many 404 answers/);
  // Any404 was firing before the window and still is: no second card, no "fired again".
  expect(cards().slice(before).filter((m) => /Some 404 answers/.test(m.text))).toHaveLength(1);
});

// One store object shared by two service instances; two bot processes on one SQLite file: alerts-restart.test.ts.
test('a restart of the bot keeps state and re-posts nothing', async () => {
  const store = new MemoryStore();
  let svc = service({ rules: ['Any404'], store });
  const before = cards().length;
  const stop = keepTraffic(404, 3);
  try {
    await tickUntil(svc, 'Any404 card', () => cards().length === before + 1);
    await svc.stop();
    const posts = h.standIn.callsTo('chat.postMessage').length;
    svc = service({ rules: ['Any404'], store });
    for (let i = 0; i < 3; i++) {
      await svc.tick('demo');
      await sleep(300);
    }
    await h.app.idle(5000);
    expect(h.standIn.callsTo('chat.postMessage').length).toBe(posts);
    expect((await svc.list('demo')).alerts).toEqual([expect.objectContaining({ rule: 'Any404', phase: 'firing' })]);
  } finally {
    stop();
  }
  await tickUntil(svc, 'resolved after restart', () => /^Resolved/.test(cards().at(-1)!.text), 20_000);
});

test('/ws alerts lists active alerts with state and age; /ws alerts test sends a test card through the whole path', async () => {
  const svc = service({ rules: ['Any404', 'Many404s'] });
  const stop = keepTraffic(404, 1);
  try {
    await tickUntil(svc, 'Any404 firing', async () => (await svc.list('demo')).alerts.some((a) => a.phase === 'firing'));
    const cmd = h.standIn.slashCommand({ text: 'alerts --env demo', user: 'U0ALICE' });
    await h.driver.command(cmd);
    await h.app.idle(5000);
    const answer = h.standIn.ephemerals('U0ALICE').at(-1)!;
    expect(blocksText(answer)).toMatch(/firing\* `Any404` for \d+m?s/);
    expect(blocksText(answer)).not.toMatch(/Many404s/);
  } finally {
    stop();
  }
  const before = cards().length;
  await h.driver.command(h.standIn.slashCommand({ text: 'alerts test Many404s --env demo', user: 'U0BOB' }));
  await h.app.idle(5000);
  await svc.idle();
  const card = cards().at(-1)!;
  expect(cards().length).toBe(before + 1);
  expect(card.text).toMatch(/\[TEST\]/);
  expect(blocksText(card)).toMatch(/This is a test notification/);
  await tickUntil(svc, 'resolved', () => cards().some((m) => m.ts !== card.ts && /^Resolved: Some 404/.test(m.text)), 20_000);
});

test('Alertmanager webhook: firing and resolved payloads become a card updated in place; a bad secret gets 401 and posts nothing', async () => {
  service({ rules: [] });
  const url = h.botUrl!.replace('/slack/events', '/alertmanager');
  const payload = (status: 'firing' | 'resolved') => ({
    version: '4',
    groupKey: '{}:{alertname="HighLatency"}',
    status,
    receiver: 'ws-doctor',
    groupLabels: { alertname: 'HighLatency' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    alerts: [
      {
        status,
        labels: { alertname: 'HighLatency', severity: 'critical', instance: 'web:8000' },
        annotations: { summary: 'p99 latency above 2 s <!channel>' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.test/graph',
      },
    ],
  });
  const post = (body: unknown, auth?: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
  const before = cards().length;
  expect((await post(payload('firing'), 'Bearer wrong')).status).toBe(401);
  expect((await post(payload('firing'))).status).toBe(401);
  await h.app.idle(2000);
  expect(cards().length).toBe(before);

  const r = await post(payload('firing'), `Bearer ${AM_TOKEN}`);
  expect(r.status).toBe(200);
  await h.app.idle(5000);
  const card = cards().at(-1)!;
  expect(cards().length).toBe(before + 1);
  expect(card.text).toMatch(/^Firing: p99 latency above 2 s/);
  expect(blocksText(card)).toMatch(/Acknowledge/);
  // Shown, never a ping: escaped in mrkdwn and the fallback text, inert in plain_text headers.
  expect(card.text).toMatch(/&lt;!channel&gt;/);

  expect((await post({ alerts: 'nope' }, `Bearer ${AM_TOKEN}`)).status).toBe(400);
  expect((await post(payload('resolved'), `Bearer ${AM_TOKEN}`)).status).toBe(200);
  await h.app.idle(5000);
  expect(cards().length).toBe(before + 1);
  expect(cards().find((m) => m.ts === card.ts)!.text).toMatch(/^Resolved: /);
});

test('Prometheus killed: one "cannot evaluate rules" meta-alert, no false resolve; the firing alert stays firing', async () => {
  // A Prometheus of this test's own, so the others keep theirs.
  const own = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(own.url, DEMO_SCRAPE_JOB, 'up', 20000);
  const svc = service({ rules: ['Any404'], promUrl: own.url });
  const before = cards().length;
  const stop = keepTraffic(404, 3);
  try {
    await tickUntil(svc, 'Any404 card', () => cards().length === before + 1);
  } finally {
    stop();
  }
  const card = cards().at(-1)!;
  await own.stop();
  await tickUntil(svc, 'meta-alert card', () => cards().some((m) => /Cannot evaluate alert rules/.test(m.text)), 20_000);
  for (let i = 0; i < 4; i++) {
    await svc.tick('demo');
    await sleep(300);
  }
  await h.app.idle(5000);
  expect(cards().filter((m) => /Cannot evaluate alert rules/.test(m.text))).toHaveLength(1);
  expect(cards().find((m) => m.ts === card.ts)!.text).toMatch(/^Firing/);
  expect(threadOf(card).map((m) => m.text)).not.toContainEqual(expect.stringMatching(/resolved/));
  const listed = await svc.list('demo');
  expect(listed.prometheusDown).toMatch(/ECONNREFUSED|refused/);
  expect(listed.alerts.map((a) => a.rule).sort()).toEqual(['AlertRulesUnevaluable', 'Any404']);
});
