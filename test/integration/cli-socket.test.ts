/**
 * `ws-doctor status` answered by a running bot over its local socket (src/cli-socket): real bot process (Slack
 * HTTP mode against the stand-in), real demo backend and redis-server, real CLI processes.
 *
 * - Same config and secrets: the bot answers a fresh run, printed exactly as `--standalone` prints it (text and
 *   `--json`), same exit code; the bot's metrics count it.
 * - Another config (edited file, other secrets): the CLI runs alone.
 * - Bad input is still the CLI's to refuse (`--env nope` → exit 3 naming the key).
 * - A frozen bot (SIGSTOP), a killed one (socket left behind) and a stopped one: the CLI answers by itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT, type DemoBackend } from '../../src/demo/index';
import { locateSocket, socketDir } from '../../src/cli-socket/fingerprint';
import { sampleSum, startBotProcess, type BotProcess } from '../peers/bot-process';
import { runCli } from '../peers/cli-process';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, type SlackStandIn } from '../peers/slack-api';

jest.setTimeout(120000);

let redis: RedisProcess;
let backend: DemoBackend;
let standIn: SlackStandIn;
let bot: BotProcess;
const SECRETS = { WS_DOCTOR_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password };

function config(): Record<string, unknown> {
  return {
    defaultEnv: 'local',
    environments: {
      local: {
        backend: { url: backend.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email } },
        redis: { url: redis.url },
        prometheus: { enabled: false },
        docker: { enabled: false },
      },
    },
    schedule: { enabled: false },
    alerts: { enabled: false },
  };
}

function startBot(): Promise<BotProcess> {
  return startBotProcess({
    config: config(),
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: 'cli-socket-test', SLACK_API_URL: standIn.apiUrl, ...SECRETS },
  });
}

/** The CLI as cron runs it: the bot's config file and secrets, nothing of Slack. */
const status = (args: string[] = [], env: Record<string, string> = {}) => runCli(['status', ...args], { env: { WS_DOCTOR_CONFIG: bot.configFile, ...SECRETS, ...env } });
const asks = async (b: BotProcess, outcome: string): Promise<number> => sampleSum(await (await fetch(`${b.opsUrl}/metrics`)).text(), 'ws_doctor_cli_socket_asks_total', { outcome });
const answered = (b: BotProcess): Promise<number> => asks(b, 'answered');
/** Where the bot `b` serves, found as the CLI finds it. */
function socketOf(b: BotProcess): string {
  const place = locateSocket(b.configFile, { WS_DOCTOR_CONFIG: b.configFile, ...SECRETS });
  if (!place.ok) throw new Error(place.why);
  return place.file;
}
/**
 * What two healthy runs share: the verdict line, then each check with its status mark, in order, and the footer
 * without its times. (Times, probe names and key counts differ from run to run.)
 */
const shape = (out: string): string[] => {
  const lines = out.split('\n');
  const checks = lines.filter((l) => /^\s+\S+ [a-z-]+\s+\d+ ms /.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));
  const footer = lines.find((l) => /^\s*env \S+ · /.test(l))?.replace(/ in \d+ ms/, '').replace(/ · [^·]+$/, '');
  return [lines[0] ?? '', ...checks, footer ?? 'no footer'];
};

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  bot = await startBot();
});

afterAll(async () => {
  await bot?.stop();
  await standIn?.close();
  await backend?.stop();
  await redis?.stop();
});

test('same config and secrets: the running bot answers, printed as --standalone prints it, same exit code, counted', async () => {
  const uid = process.getuid?.() as number;
  const file = socketOf(bot);
  expect(fs.statSync(file).isSocket()).toBe(true);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(socketDir(uid)).mode & 0o777).toBe(0o700);
  expect(bot.logs()).toContain(`answering \`ws-doctor status\` of this config on ${file}`);

  const before = await answered(bot);
  const viaBot = await status();
  expect(await answered(bot)).toBe(before + 1);
  const alone = await status(['--standalone']);
  expect(await answered(bot)).toBe(before + 1);
  expect(viaBot.code).toBe(0);
  expect(viaBot.code).toBe(alone.code);
  expect(viaBot.stdout).toMatch(/^✅ Healthy: all \d+ checks pass/);
  expect(shape(viaBot.stdout)).toEqual(shape(alone.stdout));
  expect(shape(viaBot.stdout).length).toBeGreaterThan(10);
  expect(viaBot.stderr).toBe('');

  const json = await status(['--json']);
  expect(await answered(bot)).toBe(before + 2);
  const report = JSON.parse(json.stdout) as { env: string; verdict: { overall: string }; findings: Array<{ check: string; status: string }> };
  expect(report).toMatchObject({ env: 'local', verdict: { overall: 'ok' } });
  expect(report.findings.find((f) => f.check === 'chat-handshake')?.status).toBe('ok');
  expect(json.stdout).not.toContain(DEMO_SERVICE_ACCOUNT.password);
});

test('the bot reports the stack as it is now: a fault switched on after its start shows in the next delegated answer', async () => {
  backend.faults.set('db-down', true);
  try {
    const before = await answered(bot);
    const r = await status();
    expect(await answered(bot)).toBe(before + 1);
    expect(r.stdout).toMatch(/^🔴 Down: The database is down/);
    expect(r.code).toBe(2);
  } finally {
    backend.faults.set('db-down', false);
  }
  await expect(status()).resolves.toMatchObject({ code: 0 });
});

test('another config runs alone: other secrets, the file edited since the bot started', async () => {
  const before = await answered(bot);
  // A secret the bot was not given: its answer might not be this command's, so this process runs the checks
  // (the Redis here ignores an AUTH it does not need: still healthy).
  const other = await status([], { WS_DOCTOR_REDIS_PASSWORD: 'not-the-bots' });
  expect(other.code).toBe(0);
  expect(await answered(bot)).toBe(before);

  const copy = path.join(path.dirname(bot.configFile), 'edited.yml');
  fs.writeFileSync(copy, `${fs.readFileSync(bot.configFile, 'utf8')}\n# edited\n`);
  const edited = await runCli(['status', '--config', copy], { env: SECRETS });
  expect(edited.code).toBe(0);
  expect(await answered(bot)).toBe(before);
});

test('bad input stays the CLI\'s to refuse: --env nope is declined by the bot and answered with the named key, exit 3', async () => {
  const declined = await asks(bot, 'declined');
  const r = await status(['--env', 'nope']);
  expect(await asks(bot, 'declined')).toBe(declined + 1);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/--env: no environment named "nope"; expected one of: local/);
});

test('a frozen bot (SIGSTOP): the CLI gives up on it within its accept bound and answers by itself', async () => {
  const alone = await status(['--standalone']);
  bot.signal('SIGSTOP');
  try {
    const r = await status();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✅ Healthy/);
    // At most the accept bound (0.5 s) more than running alone, with room for a loaded machine.
    expect(r.ms).toBeLessThan(alone.ms + 3000);
  } finally {
    bot.signal('SIGCONT');
  }
});

test('a killed bot leaves its socket behind: the CLI answers by itself; a bot stopped by SIGTERM removes its socket', async () => {
  const kept = path.join(fs.mkdtempSync(path.join(path.dirname(path.dirname(bot.configFile)), 'wsd-keep-')), 'ws-doctor.yml');
  fs.copyFileSync(bot.configFile, kept);
  const file = socketOf(bot);
  bot.signal('SIGKILL');
  await bot.exited;
  expect(fs.statSync(file).isSocket()).toBe(true); // nobody removed it
  // The same fingerprint as the dead bot's (its file is gone with its folder; the CLI reads a copy at that path).
  fs.mkdirSync(path.dirname(bot.configFile), { recursive: true });
  fs.copyFileSync(kept, bot.configFile);
  const r = await status();
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^✅ Healthy/);
  fs.rmSync(path.dirname(bot.configFile), { recursive: true, force: true });
  fs.rmSync(path.dirname(kept), { recursive: true, force: true });
  fs.rmSync(file, { force: true });

  bot = await startBot();
  const served = socketOf(bot);
  expect((await status()).code).toBe(0);
  expect(await answered(bot)).toBe(1);
  expect(await bot.stop()).toBe(0);
  expect(fs.existsSync(served)).toBe(false);
});
