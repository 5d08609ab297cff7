/**
 * The scheduler in a real bot process (Slack HTTP mode, the stand-in as Slack, the demo backend on a real
 * redis-server as the stack): the scheduled status posts to the schedule channel only when the verdict changes,
 * with what changed; `/ws schedule` shows the jobs with their last and next run; SIGTERM during a scheduled run
 * still exits 0 within the bound.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { startBotProcess, type BotProcess } from '../peers/bot-process';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn } from '../peers/slack-api';
import { postSlashCommand } from '../peers/slack-drivers';

jest.setTimeout(120000);

let redis: RedisProcess;
let backend: DemoBackend;
let standIn: SlackStandIn;
let bot: BotProcess;
const secret = randomBytes(16).toString('hex');

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  const demo = demoConfig(parseConfig({}), backend, redis.url).environments.demo;
  if (!demo) throw new Error('no demo env');
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  bot = await startBotProcess({
    config: {
      defaultEnv: 'demo',
      environments: { demo },
      schedule: { channel: 'C0OPS', status: '*/2 * * * * *', leaseTtlMs: 1500 },
    },
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl },
  });
});

afterAll(async () => {
  await bot?.stop();
  await standIn?.close();
  await backend?.stop();
  await redis?.stop();
});

const channelTexts = (): string[] => standIn.channelMessages('C0OPS').map((m) => visibleText(m));

it('posts to the schedule channel only when the verdict changes, naming what changed', async () => {
  // Healthy runs come and go without a word.
  await new Promise((r) => setTimeout(r, 5000));
  expect(channelTexts()).toEqual([]);
  backend.faults.set('db-down', true);
  const down = await waitFor(() => channelTexts().find((t) => /Status changed on demo: ok → (down|degraded)/.test(t)), 'the change to be posted', 30000);
  expect(down).toMatch(/db-health/);
  expect(down).toMatch(/ok → fail/);
  // Still broken: no second post.
  await new Promise((r) => setTimeout(r, 4500));
  expect(channelTexts()).toHaveLength(1);
  backend.faults.set('db-down', false);
  await waitFor(() => channelTexts().find((t) => /Status changed on demo: (down|degraded) → ok/.test(t)), 'the recovery to be posted', 30000);
  expect(channelTexts()).toHaveLength(2);
});

it('/ws schedule lists the jobs with their last and next run and which replica leads', async () => {
  const cmd = standIn.slashCommand({ text: 'schedule', user: 'U0SCHED' });
  const ack = await postSlashCommand(bot.eventsUrl as string, cmd, { secret });
  expect(ack.status).toBe(200);
  standIn.acceptCommandAck(cmd, ack.body);
  const msg = await waitFor(() => standIn.ephemerals('U0SCHED')[0], 'the schedule answer', 20000);
  const text = visibleText(msg);
  expect(text).toMatch(/status/);
  expect(text).toMatch(/digest/);
  expect(text).toMatch(/cleanup/);
  expect(text).toMatch(/Last: ✅ \d{4}-/);
  expect(text).toMatch(/Next: \d{4}-/);
  expect(text).toMatch(/leads the schedule/);
});

it('exposes scheduler metrics and stops cleanly on SIGTERM', async () => {
  const metrics = await (await fetch(`${bot.opsUrl}/metrics`)).text();
  expect(metrics).toMatch(/^ws_doctor_scheduler_leader 1/m);
  expect(metrics).toMatch(/^ws_doctor_scheduler_runs_total\{job="status",outcome="ran"\} [1-9]/m);
  expect(metrics).toMatch(/^ws_doctor_notifications_total\{kind="status_change",outcome="sent"\} 2/m);
  const t0 = Date.now();
  expect(await bot.stop()).toBe(0);
  expect(Date.now() - t0).toBeLessThan(20000);
  expect(bot.logs()).toMatch(/stopped in \d+ ms/);
});
