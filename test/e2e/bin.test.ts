/**
 * The package's bin as a fresh clone gets it: a copy of the repository's files (what `git clone` gives, with the
 * node modules `npm ci` installed), then scripts/setup.sh — the first step of `npm run demo`, `npm test` and
 * `npm start` — which builds dist/cli.js (the esbuild bundles behind their code-cache loader). Then the bin runs as
 * npm would run it (package.json `bin`, by its shebang) against a real demo stack: whole processes, real exit
 * codes. Speed is measured in the bench (`npm run bench -- cli-status cli-help`), not here.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT, type DemoBackend } from '../../src/demo/index';
import { freePort } from '../../src/util/net';
import { sampleSum } from '../peers/bot-process';
import { startRedisServer, type RedisProcess } from '../peers/redis';

jest.setTimeout(180_000);

const REPO = path.join(__dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

let clone: string;
let bin: string;
let redis: RedisProcess;
let backend: DemoBackend;
let configFile: string;

beforeAll(async () => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-clone-'));
  // The files a clone has: tracked ones plus new, not ignored ones (so the test also covers uncommitted work).
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    const from = path.join(REPO, f);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(from, path.join(clone, f));
  }
  fs.chmodSync(path.join(clone, 'scripts/setup.sh'), 0o755);
  // `npm ci` already ran (same lock file): share this checkout's node modules instead of installing them again.
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
  expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);

  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  configFile = path.join(clone, 'ws-doctor.yml');
  fs.writeFileSync(
    configFile,
    [
      'defaultEnv: local',
      'environments:',
      '  local:',
      `    backend: { url: "${backend.url}", serviceAccount: { email: "${DEMO_SERVICE_ACCOUNT.email}" } }`,
      `    redis: { url: "${redis.url}" }`,
      '    prometheus: { enabled: false }',
      '    docker: { enabled: false }',
      `stateDir: ${JSON.stringify(path.join(clone, 'state'))}`,
    ].join('\n'),
  );
});

afterAll(async () => {
  await backend?.stop();
  await redis?.stop();
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

const pw = { WS_DOCTOR_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password };

test('setup builds the bin on a fresh clone, once; it runs by its shebang', async () => {
  const setup = await run('bash', ['scripts/setup.sh', 'modules'], clone);
  expect(setup.stderr).toBe('');
  expect(setup.code).toBe(0);
  const pkg = JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  bin = path.join(clone, pkg.bin['ws-doctor'] ?? '');
  expect(fs.existsSync(bin)).toBe(true);
  const bundleTime = fs.statSync(path.join(clone, 'dist/ws-doctor.core.js')).mtimeMs;
  // Up to date now: a second setup builds nothing.
  expect((await run('bash', ['scripts/setup.sh', 'modules'], clone)).code).toBe(0);
  expect(fs.statSync(path.join(clone, 'dist/ws-doctor.core.js')).mtimeMs).toBe(bundleTime);

  const help = await run(bin, ['--help'], clone);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: ws-doctor /);
  expect(help.stdout).toMatch(/check <name>/);
});

test('status and check through the bin: real verdicts and exit codes against the demo stack', async () => {
  const healthy = await run(bin, ['status', '--config', configFile], clone, pw);
  expect(healthy.stdout).toMatch(/^✅ Healthy: all \d+ checks pass/);
  expect(healthy.stdout).toMatch(/chat-handshake .*connected in \d+ ms/);
  expect(healthy.code).toBe(0);

  backend.faults.set('db-down', true);
  try {
    const down = await run(bin, ['status', '--config', configFile], clone, pw);
    expect(down.stdout).toMatch(/^🔴 Down: The database is down/);
    expect(down.code).toBe(2);
    const check = await run(bin, ['check', 'db-health', '--config', configFile], clone, pw);
    expect(check.stdout).toMatch(/db-health/);
    expect(check.code).toBe(2);
  } finally {
    backend.faults.set('db-down', false);
  }

  const bad = await run(bin, ['stauts'], clone);
  expect(bad.code).toBe(3);
});

test('a corrupt or foreign code cache is refused by V8: the bin still answers, and the cache is written again', async () => {
  const cacheFor = (bundle: string, cmd: string) => fs.readdirSync(path.join(clone, 'dist')).find((f) => f.startsWith(`${bundle}.${cmd}.`) && f.endsWith('.cache'));
  const name = cacheFor('ws-doctor.core.js', 'status');
  expect(name).toBeDefined();
  const cache = path.join(clone, 'dist', name ?? '');
  fs.writeFileSync(cache, Buffer.alloc(4096, 0x5a));
  const r = await run(bin, ['status', '--config', configFile, '--json'], clone, pw);
  expect(r.code).toBe(0);
  expect((JSON.parse(r.stdout) as { verdict: { overall: string } }).verdict.overall).toBe('ok');
  expect(fs.readFileSync(cache).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
  // A command with no cache of its own starts from another command's cache and leaves its own.
  const checkCache = path.join(clone, 'dist', cacheFor('ws-doctor.core.js', 'check') ?? 'none');
  fs.rmSync(checkCache, { force: true }); // the test above ran `check` already
  expect(cacheFor('ws-doctor.core.js', 'check')).toBeUndefined();
  const check = await run(bin, ['check', 'redis', '--config', configFile], clone, pw);
  expect(check.stdout).toMatch(/redis/);
  expect(check.code).toBe(0);
  expect(cacheFor('ws-doctor.core.js', 'check')).toBeDefined();
});

test('with the bin running as the bot, the bin\'s `status` is answered by it (counted in its metrics); --standalone is not; the answer follows the stack', async () => {
  const port = await freePort();
  // Console mode (no Slack here); stdin stays open so it keeps running.
  const bot = spawn(bin, ['start', '--config', configFile, '--metrics-port', String(port)], { cwd: clone, env: { PATH: process.env.PATH, HOME: clone, NO_COLOR: '1', ...pw }, stdio: ['pipe', 'ignore', 'pipe'] });
  let logs = '';
  bot.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  const answered = async (): Promise<number> => sampleSum(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'ws_doctor_cli_socket_asks_total', { outcome: 'answered' });
  try {
    const until = Date.now() + 60_000;
    while (!/answering `ws-doctor status` of this config/.test(logs)) {
      if (Date.now() > until || bot.exitCode !== null) throw new Error(`the bot did not open its CLI socket:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const healthy = await run(bin, ['status', '--config', configFile], clone, pw);
    expect(healthy.stdout).toMatch(/^✅ Healthy: all \d+ checks pass/);
    expect(healthy.code).toBe(0);
    expect(await answered()).toBe(1);
    backend.faults.set('db-down', true);
    try {
      const down = await run(bin, ['status', '--config', configFile], clone, pw);
      expect(down.stdout).toMatch(/^🔴 Down: The database is down/);
      expect(down.code).toBe(2);
      expect(await answered()).toBe(2);
      const alone = await run(bin, ['status', '--config', configFile, '--standalone'], clone, pw);
      expect(alone.code).toBe(2);
      expect(await answered()).toBe(2);
    } finally {
      backend.faults.set('db-down', false);
    }
  } finally {
    const gone = new Promise((r) => bot.once('exit', r));
    bot.kill('SIGTERM');
    await gone;
  }
});
