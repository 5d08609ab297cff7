/**
 * The container image, built and run for real (`npm run test:image`, part of `npm test`):
 *
 * 1. local base images (scripts/image/bases.sh: debootstrap + Node 24 from npm; cached between runs),
 * 2. `podman build` of the real Dockerfile, unchanged but for its BASE/RUNTIME build arguments,
 * 3. the image started against the demo stack (redis-server + demo backend on loopback) in Slack HTTP mode,
 *    with the Slack stand-in as Slack: HEALTHCHECK turns healthy, `/ws status` is answered in Slack, `status`
 *    inside the container (`ws-doctor status`, answered by the running bot over its socket; and `--standalone`)
 *    gives the verdict, the process runs as a non-root user, SIGTERM stops it cleanly.
 *
 * The podman store (overlay) lives in the cache folder too, so a rerun reuses the build's layers. The size is
 * printed for the report.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { freePort } from '../../src/util/net';
import { podmanStoreEnv } from '../peers/podman';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn } from '../peers/slack-api';
import { postSlashCommand } from '../peers/slack-drivers';

jest.setTimeout(20 * 60 * 1000);

const cache = process.env.WS_DOCTOR_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ws-doctor');
const IMAGE = 'localhost/ws-doctor:smoke';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// A podman store of our own (overlay, in the cache folder: build layers survive between runs).
const env: NodeJS.ProcessEnv = { ...podmanStoreEnv(path.join(cache, 'podman'), 'overlay'), WS_DOCTOR_CACHE: cache };

function run(file: string, args: string[], timeoutMs = 15 * 60 * 1000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${file} is not installed (apt-get install -y podman runc debootstrap)`));
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function must(file: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await run(file, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.slice(0, 3).join(' ')} … failed (${r.code}):\n${(r.stderr || r.stdout).slice(-3000)}`);
  return r.stdout;
}

let redis: RedisProcess;
let backend: DemoBackend;
let standIn: SlackStandIn;
let tmp: string;
const name = `wsd-smoke-${randomBytes(4).toString('hex')}`;
let started = false;

beforeAll(async () => {
  const args = Object.fromEntries(
    (await must('bash', ['scripts/image/bases.sh'], 10 * 60 * 1000))
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
  const t0 = Date.now();
  await must(
    'podman',
    [
      'build',
      '--format',
      'docker', // OCI images drop HEALTHCHECK; Docker's format keeps it
      '--network',
      'host',
      '--build-arg',
      `BASE=${args.BASE}`,
      '--build-arg',
      `RUNTIME=${args.RUNTIME}`,
      '--build-arg',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      '-t',
      IMAGE,
      '.',
    ],
    15 * 60 * 1000,
  );
  process.stdout.write(`image built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
});

afterAll(async () => {
  if (started) await run('podman', ['rm', '-f', '-t', '2', name]).catch(() => undefined);
  await standIn?.close();
  await backend?.stop();
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the image runs as a non-root user, turns healthy, answers /ws status in Slack and stops on SIGTERM', async () => {
  // podman reports the health check at the top level, Docker under Config.
  const inspect = JSON.parse(await must('podman', ['image', 'inspect', IMAGE])) as Array<{
    Size: number;
    Healthcheck?: { Test?: string[] };
    Config: { User?: string; Labels?: Record<string, string>; Healthcheck?: { Test?: string[] } };
  }>;
  const image = inspect[0];
  if (!image) throw new Error('no image');
  process.stdout.write(`image size: ${(image.Size / 1e6).toFixed(0)} MB\n`);
  expect(image.Config.User).toBe('node');
  expect((image.Healthcheck ?? image.Config.Healthcheck)?.Test).toEqual(['CMD', 'node', 'dist/telemetry/healthcheck.js']);
  expect(image.Config.Labels?.['org.opencontainers.image.title']).toBe('ws-doctor');

  // The demo environment as a YAML file the container reads (docker checks off: no engine socket inside).
  const config = demoConfig(parseConfig({}), backend, redis.url);
  const demo = config.environments.demo;
  if (!demo) throw new Error('no demo env');
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wsd-smoke-'));
  writeFileSync(path.join(tmp, 'ws-doctor.yml'), YAML.stringify({ defaultEnv: 'demo', environments: { demo } }));
  const slackPort = await freePort();
  const metricsPort = await freePort();
  const secret = randomBytes(16).toString('hex');
  await must('podman', [
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '-v',
    `${tmp}/ws-doctor.yml:/etc/ws-doctor.yml:ro`,
    '-e',
    'WS_DOCTOR_CONFIG=/etc/ws-doctor.yml',
    '-e',
    `SLACK_BOT_TOKEN=${standIn.botToken}`,
    '-e',
    `SLACK_SIGNING_SECRET=${secret}`,
    '-e',
    `SLACK_API_URL=${standIn.apiUrl}`,
    '-e',
    `PORT=${slackPort}`,
    '-e',
    `WS_DOCTOR_METRICS_PORT=${metricsPort}`,
    IMAGE,
  ]);
  started = true;

  // No systemd timer here moves the health status: run the image's own HEALTHCHECK until it passes.
  const health = async (): Promise<string> => (await must('podman', ['inspect', '--format', '{{.State.Health.Status}}', name])).trim();
  expect(await health()).toBe('starting');
  await waitForAsync(async () => (await run('podman', ['healthcheck', 'run', name])).code === 0, 'HEALTHCHECK to pass', 60000);
  expect(await health()).toBe('healthy');

  // Non-root: the main process' real and effective uid.
  const uid = await must('podman', ['exec', name, 'sh', '-c', "awk '/^Uid:/{print $2, $3}' /proc/1/status"]);
  expect(uid.trim()).toBe('1000 1000');

  // /ws status, signed as Slack signs it, answered through the stand-in.
  const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
  expect(ready.status).toBe(200);
  const cmd = standIn.slashCommand({ text: 'status', user: 'U0ALICE' });
  const ack = await postSlashCommand(`http://127.0.0.1:${slackPort}/slack/events`, cmd, { secret });
  expect(ack.status).toBe(200);
  standIn.acceptCommandAck(cmd, ack.body);
  const msg = await waitFor(() => standIn.ephemerals('U0ALICE')[0], 'the private answer', 30000);
  await waitFor(() => /Healthy/.test(visibleText(msg)), 'a healthy verdict in Slack', 30000);

  // The CLI inside the image answers too (exit 0 = ok): `ws-doctor status` is answered by the running bot over its
  // socket (same config and environment as the bot's); `--standalone` runs the checks in its own process.
  const cli = await run('podman', ['exec', name, 'ws-doctor', 'status']);
  expect(cli.stdout).toMatch(/Healthy|ok/i);
  expect(cli.code).toBe(0);
  const alone = await run('podman', ['exec', name, 'node', 'dist/cli.js', 'status', '--standalone']);
  expect(alone.stdout).toMatch(/Healthy|ok/i);
  expect(alone.code).toBe(0);
  const asked = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(asked).toMatch(/^ws_doctor_cli_socket_asks_total\{outcome="answered"\} 1$/m);

  // The metrics endpoint counted the checks the two runs made.
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/ws_doctor_check_runs_total\{env="demo",check="redis",status="ok"\} [1-9]/);

  // SIGTERM (what `docker stop` sends): a clean stop well within the 10 s default grace period.
  const t0 = Date.now();
  await must('podman', ['stop', '-t', '10', name]);
  const stopMs = Date.now() - t0;
  const exit = (await must('podman', ['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
  const logs = await run('podman', ['logs', name]);
  expect(exit).toBe('0');
  expect(logs.stderr + logs.stdout).toMatch(/stopped in \d+ ms/);
  expect(stopMs).toBeLessThan(9000);
});

async function waitForAsync(fn: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}
