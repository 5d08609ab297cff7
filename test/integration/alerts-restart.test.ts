/**
 * A bot restart on the real embedded store: two real bot processes (`tsx src/cli.ts start`, Slack HTTP mode in
 * front of the strict stand-in) one after the other on ONE SQLite file in one stateDir, a real Prometheus
 * scraping the demo backend every second, a rule on the demo's 404 counter. The first process posts the card
 * and is stopped (SIGTERM, exit awaited: the file is closed); the file is then read directly to show what was
 * persisted; the second process opens the same file and must neither re-post the card nor forget the alert,
 * and when the alert resolves it updates the first process's card in place.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AlertState, Incident } from '../../src/alerts/types';
import { parseConfig } from '../../src/config/load';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { SQLITE_FILE, SqliteStore } from '../../src/state/sqlite-store';
import { startBotProcess, type BotProcess } from '../peers/bot-process';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn } from '../peers/slack-api';
import { postSlashCommand } from '../peers/slack-drivers';

jest.setTimeout(180_000);

const CHANNEL = 'C0OPS';
const secret = randomBytes(16).toString('hex');
let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let standIn: SlackStandIn;
let dir: string;
let bot: BotProcess | undefined;

const RULES = `groups:
  - name: restart
    interval: 1s
    rules:
      - alert: Any404
        expr: sum(increase(django_http_responses_total_by_status_total{status="404"}[4s])) > 0
        annotations:
          summary: Some 404 answers
`;

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error(`the \`prometheus\` binary is not on PATH; this test needs a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-alerts-restart-'));
  writeFileSync(path.join(dir, 'rules.yml'), RULES);
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true, drfRatesPerMinute: { anon: 100_000, user: 100_000 } });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  // The counter's series exists before the rule is asked (increase() needs two samples).
  await traffic(1);
  await sleep(2500);
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.close();
  await prom?.stop();
  await backend?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(standIn.refusals).toEqual([]);
  expect(standIn.liveMarkup).toEqual([]);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function traffic(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => fetch(`${backend.url}/no-such-page-${i}/`).then((r) => r.body?.cancel())));
}

function keepTraffic(perSecond = 3): () => void {
  const t = setInterval(() => void traffic(perSecond).catch(() => undefined), 1000);
  void traffic(perSecond);
  return () => clearInterval(t);
}

function startBot(): Promise<BotProcess> {
  const demo = demoConfig(parseConfig({}), backend, redis.url, prom.url).environments.demo;
  if (!demo) throw new Error('no demo env');
  return startBotProcess({
    config: {
      stateDir: path.join(dir, 'state'),
      defaultEnv: 'demo',
      environments: { demo },
      schedule: { enabled: false },
      alerts: { channel: CHANNEL, rules: [path.join(dir, 'rules.yml')], interval: '1s', graph: { enabled: false } },
    },
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl },
    healthTimeoutMs: 60_000,
  });
}

/** What the stopped bot left in the file, read with the same store class the bot uses. */
async function persisted(): Promise<{ alerts: AlertState[]; incidents: Incident[] }> {
  const store = new SqliteStore({ file: path.join(dir, 'state', SQLITE_FILE) });
  try {
    const alerts = (await store.list<AlertState>('alert:', { limit: 1000 })).map((r) => r.value);
    const incidents = (await store.list<Incident>('incident:', { limit: 1000 })).map((r) => r.value);
    return { alerts, incidents };
  } finally {
    await store.close();
  }
}

const cards = () => standIn.channelMessages(CHANNEL);
const postsToChannel = (): number => standIn.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts).length;

test('restart on the same SQLite file: the firing alert is neither re-posted nor forgotten, and its card is updated in place when it resolves', async () => {
  const stop = keepTraffic();
  let card;
  let firedAt: number | undefined;
  try {
    bot = await startBot();
    card = await waitFor(() => cards().find((m) => /^Firing: Some 404 answers/.test(m.text)), 'the first process to post the card', 60_000);
    expect(postsToChannel()).toBe(1);
    // The first process stops completely: exit code awaited, its SQLite connection closed on the way out.
    expect(await bot.stop()).toBe(0);
    bot = undefined;

    // What survived is in the file itself, not in some process' memory.
    const saved = await persisted();
    const alert = saved.alerts.find((a) => a.rule === 'Any404');
    expect(alert).toMatchObject({ phase: 'firing', notified: { phase: 'firing' } });
    firedAt = alert!.firedAt;
    expect(saved.incidents).toEqual([expect.objectContaining({ card: { channel: CHANNEL, ts: card.ts } })]);

    // A new process on the same file, the alert still firing: several ticks, no second card, no "fired again".
    bot = await startBot();
    await sleep(6000);
    expect(postsToChannel()).toBe(1);
    expect(standIn.thread(CHANNEL, card.ts).map((m) => m.text)).not.toContainEqual(expect.stringMatching(/fired again|fired/));

    // Not forgotten: `/ws alerts` of the new process lists it, firing since the first process saw it fire.
    const cmd = standIn.slashCommand({ text: 'alerts --env demo', user: 'U0RESTART' });
    const ack = await postSlashCommand(bot.eventsUrl!, cmd, { secret });
    expect(ack.status).toBe(200);
    standIn.acceptCommandAck(cmd, ack.body);
    const answer = await waitFor(() => standIn.ephemerals('U0RESTART').find((m) => /Any404/.test(visibleText(m))), 'the /ws alerts answer', 30_000);
    expect(visibleText(answer)).toMatch(/firing\* `Any404`/);
    const now = await persisted();
    expect(now.alerts.find((a) => a.rule === 'Any404')?.firedAt).toBe(firedAt);
  } finally {
    stop();
  }

  // The condition clears: the second process turns the first process's card green, in place.
  const resolved = await waitFor(() => cards().find((m) => m.ts === card!.ts && /^Resolved: Some 404 answers/.test(m.text)), 'the card to turn resolved in place', 60_000);
  expect(resolved.ts).toBe(card!.ts);
  expect(postsToChannel()).toBe(1);
  await waitFor(() => standIn.thread(CHANNEL, card!.ts).find((m) => /Any404 resolved after/.test(m.text)), 'the resolve note in the card\'s thread', 20_000);
  expect(await bot!.stop()).toBe(0);
  bot = undefined;
  // The file agrees: the alert is resolved (delivered), the incident closed.
  const after = await persisted();
  expect(after.incidents.find((i) => i.card?.ts === card!.ts)?.closedAt).toBeGreaterThan(0);
});
