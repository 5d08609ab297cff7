/**
 * The bot's own metrics and health endpoints, on a real bot process in Slack HTTP mode (the stand-in as Slack,
 * the demo backend on a real redis-server as the stack): a real Prometheus scrapes `/metrics` and sees the
 * counters move when people use the bot; `/readyz` turns 503 when the state store becomes unusable; SIGTERM
 * during a status run still delivers the answer and exits 0 within the bound.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { sampleSum, startBotProcess, type BotProcess } from '../peers/bot-process';
import { startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn } from '../peers/slack-api';
import { postSlashCommand } from '../peers/slack-drivers';

jest.setTimeout(120000);

let redis: RedisProcess;
let backend: DemoBackend;
let standIn: SlackStandIn;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000, slowHandshakeMs: 2500 });
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
});

afterAll(async () => {
  await standIn?.close();
  await backend?.stop();
  await redis?.stop();
});

/** The demo environment as config-file input, latency warn levels relaxed for a shared, busy machine. */
function botConfig(stateDir?: string): Record<string, unknown> {
  const demo = demoConfig(parseConfig({}), backend, redis.url).environments.demo;
  if (!demo) throw new Error('no demo env');
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  return { defaultEnv: 'demo', environments: { demo }, ...(stateDir ? { stateDir } : {}) };
}

async function startHttpBot(stateDir?: string): Promise<{ bot: BotProcess; secret: string }> {
  const secret = randomBytes(16).toString('hex');
  const bot = await startBotProcess({
    config: botConfig(stateDir),
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl },
  });
  return { bot, secret };
}

async function slashStatus(bot: BotProcess, secret: string, user: string): Promise<void> {
  const cmd = standIn.slashCommand({ text: 'status', user });
  const ack = await postSlashCommand(bot.eventsUrl as string, cmd, { secret });
  expect(ack.status).toBe(200);
  standIn.acceptCommandAck(cmd, ack.body);
}

async function promValue(prom: PrometheusProcess, query: string): Promise<number> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  return Number(body.data?.result?.[0]?.value[1] ?? 'NaN');
}

describe('a bot process in Slack HTTP mode', () => {
  let bot: BotProcess;
  let secret: string;
  let prom: PrometheusProcess | undefined;

  beforeAll(async () => {
    ({ bot, secret } = await startHttpBot());
    prom = await startPrometheus({ scrapeTargets: [{ job: 'ws-doctor', target: `127.0.0.1:${bot.metricsPort}` }] });
  });

  afterAll(async () => {
    await prom?.stop();
    await bot?.stop();
  });

  it('serves /healthz, /readyz (Slack and the state store named) and a Prometheus exposition', async () => {
    expect((await fetch(`${bot.opsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bot.opsUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(body.ready).toBe(true);
    expect(Object.keys(body.checks).sort()).toEqual(['slack', 'state']);
    const text = await (await fetch(`${bot.opsUrl}/metrics`)).text();
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^ws_doctor_build_info\{version="[^"]+",node="v\d+/m);
    expect((await fetch(`${bot.opsUrl}/nope`)).status).toBe(404);
  });

  it('is scraped by a real Prometheus, and the check and Slack counters move with /ws status', async () => {
    if (!prom) throw new Error('no prometheus');
    await waitForScrape(prom.url, 'ws-doctor', 'up', 20000);
    const before = await promValue(prom, 'sum(ws_doctor_check_runs_total) or vector(0)');
    await slashStatus(bot, secret, 'U0PROM');
    const msg = await waitFor(() => standIn.ephemerals('U0PROM')[0], 'the private answer');
    await waitFor(() => /Healthy/.test(visibleText(msg)), 'a healthy verdict', 30000);
    // The scrape after the run shows one more run of every check, and the status run by verdict.
    const counted = async (): Promise<boolean> =>
      (await promValue(prom as PrometheusProcess, 'sum(ws_doctor_check_runs_total)')) >= before + 8 &&
      (await promValue(prom as PrometheusProcess, 'sum(ws_doctor_status_runs_total{overall="ok"})')) >= 1;
    await until(counted, 'Prometheus to see the new check runs', 20000).catch(() => undefined);
    expect(await counted()).toBe(true);
    expect(await promValue(prom, 'sum(ws_doctor_check_duration_seconds_count{check="chat-handshake"})')).toBeGreaterThanOrEqual(1);
    const exposition = await (await fetch(`${bot.opsUrl}/metrics`)).text();
    expect(sampleSum(exposition, 'ws_doctor_slack_calls_total')).toBeGreaterThanOrEqual(1);
  });

  it('counts Slack API failures by method and error code', async () => {
    const before = sampleSum(await (await fetch(`${bot.opsUrl}/metrics`)).text(), 'ws_doctor_slack_rate_limited_total');
    standIn.rateLimit('chat.postMessage', 1, 1);
    await slashStatus(bot, secret, 'U0RATE');
    // `share` posts to the channel with chat.postMessage: the stand-in answers 429 once, the queue retries.
    const cmd = standIn.slashCommand({ text: 'status share', user: 'U0RATE', channel: 'C0OPS' });
    const ack = await postSlashCommand(bot.eventsUrl as string, cmd, { secret });
    standIn.acceptCommandAck(cmd, ack.body);
    await waitFor(() => standIn.channelMessages('C0OPS').length > 0 && true, 'the shared answer', 30000);
    const after = sampleSum(await (await fetch(`${bot.opsUrl}/metrics`)).text(), 'ws_doctor_slack_rate_limited_total');
    expect(after).toBe(before + 1);
  });
});

describe('readiness and shutdown', () => {
  it('/readyz answers 503 naming the state store when it becomes unusable, 200 again when it is back', async () => {
    const stateDir = path.join(REPO_ROOT, 'node_modules', '.cache', `wsd-ready-${randomBytes(3).toString('hex')}`);
    const { bot } = await startHttpBot(stateDir);
    try {
      expect((await fetch(`${bot.opsUrl}/readyz`)).status).toBe(200);
      // The state directory replaced by a plain file: nothing can be written there any more.
      rmSync(stateDir, { recursive: true, force: true });
      writeFileSync(stateDir, 'not a directory');
      const res = await fetch(`${bot.opsUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
      expect(body.checks.state?.ok).toBe(false);
      expect(body.checks.slack?.ok).toBe(true);
      expect((await fetch(`${bot.opsUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${bot.opsUrl}/metrics`)).text()).toMatch(/^ws_doctor_ready 0/m);
      rmSync(stateDir, { force: true });
      expect((await fetch(`${bot.opsUrl}/readyz`)).status).toBe(200);
    } finally {
      await bot.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('SIGTERM during a status run: intake stops, the answer is still delivered, exit 0 within the bound', async () => {
    backend.faults.set('slow-handshake', true);
    const { bot, secret } = await startHttpBot();
    try {
      await slashStatus(bot, secret, 'U0TERM');
      const msg = await waitFor(() => standIn.ephemerals('U0TERM')[0], 'the "Running…" placeholder');
      expect(visibleText(msg)).toMatch(/Running/);
      const t0 = Date.now();
      bot.signal('SIGTERM');
      // Intake is closed at once: a new delivery is refused at the TCP level, /readyz no longer says ready.
      await until(async () => (await fetch(`${bot.opsUrl}/readyz`).then((r) => r.status, () => 0)) !== 200, 'readyz to stop saying ready', 5000);
      const code = await bot.exited;
      if (code !== 0) process.stderr.write(bot.logs());
      const ms = Date.now() - t0;
      expect(code).toBe(0);
      expect(ms).toBeLessThan(20000);
      // The run that was going on finished and its answer went out before the process ended.
      expect(visibleText(msg)).not.toMatch(/^Running/);
      expect(bot.logs()).toMatch(/stopped in \d+ ms/);
    } finally {
      backend.faults.set('slow-handshake', false);
      await bot.stop();
    }
  });
});

async function until(fn: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
