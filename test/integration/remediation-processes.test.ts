/**
 * Remediations across whole bot processes sharing one state store, on podman's engine — once on the embedded
 * store (a SQLite file in stateDir) and once on the shared Redis store (a real redis-server, what replicas use):
 * the bot SIGKILLed in the middle of a restart → the next process says `interrupted`, names the step, and
 * nothing runs a second time; two processes approving two requests on one target at once → one runs, the other
 * is refused because the lock is held.
 *
 * The `web` container ignores SIGTERM, so each restart takes the engine's 10 s stop timeout: long enough to kill
 * a bot in the middle of it, and for two approvals to overlap.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPodman, type PodmanPeer } from '../peers/podman';
import { REPO, runCli, type CliRun } from '../peers/cli-process';
import Redis from 'ioredis';
import { startRedisServer, type RedisProcess } from '../peers/redis';

jest.setTimeout(240_000);

const P = 'wsdproc';
const TSX = require.resolve('tsx/cli');
let peer: PodmanPeer;
let dir: string;
let configFile: string;
let stateRedis: RedisProcess | undefined;

beforeAll(async () => {
  peer = await startPodman();
  await peer.run({
    name: `${P}-web-1`,
    compose: { project: P, service: 'web' },
    cmd: `trap "" TERM; echo "INFO:     Application startup complete."; while true; do sleep 1; done`,
  });
});

afterAll(async () => {
  await peer?.cleanup();
});

/** The bots' config: the same environment and policy, on the store under test. */
function writeConfig(store: 'embedded' | 'redis'): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `wsd-proc-${store}-`));
  configFile = path.join(dir, 'ws-doctor.yml');
  fs.writeFileSync(
    configFile,
    [
      `stateDir: ${path.join(dir, 'state')}`,
      ...(store === 'redis' && stateRedis ? ['state:', '  store: redis', '  redis:', `    url: ${stateRedis.url}/5`] : []),
      'environments:',
      '  local:',
      '    docker:',
      `      socketPath: ${peer.socketPath}`,
      `      project: ${P}`,
      '      expectedServices: [web]',
      '      criticalServices: [web]',
      '      timeoutMs: 5000',
      'policy:',
      '  lockTtlSeconds: 2',
      '  verifyDeadlineSeconds: 30',
      '  actions:',
      '    restart-backend: { verify: [containers], cooldownSeconds: 0, maxPerHour: 20 }',
      '',
    ].join('\n'),
  );
}

const cli = (user: string, args: string[]): Promise<CliRun> =>
  runCli(['--config', configFile, ...args], { env: { WS_DOCTOR_USER: user }, killAfterMs: 90_000 });

/** A bot process we can SIGKILL for real: its own process group (tsx runs the script in a child). */
function startCli(user: string, args: string[]): { pid: number; done: Promise<number | null> } {
  const child = spawn(process.execPath, [TSX, path.join(REPO, 'src/cli.ts'), '--config', configFile, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', WS_DOCTOR_USER: user },
    stdio: 'ignore',
    detached: true,
  });
  return { pid: child.pid as number, done: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function request(): Promise<{ id: string; preview: string }> {
  const r = await cli('alice', ['remediate', 'restart-backend']);
  const m = /remediate approve (r-[0-9a-f]+) (p-[0-9a-f]+)/.exec(r.stdout);
  if (!m) throw new Error(`no request in: ${r.stdout}\n${r.stderr}`);
  return { id: m[1] as string, preview: m[2] as string };
}

async function startedAt(): Promise<string> {
  return (await peer.podman(['inspect', '--format', '{{.State.StartedAt}}', `${P}-web-1`])).stdout.trim();
}

async function auditLines(): Promise<Array<{ step: string; request: string; actor: string }>> {
  const r = await cli('auditor', ['audit', 'export']);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: string; request: string; actor: string });
}

async function waitUntil(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each([['embedded'], ['redis']] as const)('on the %s state store', (store) => {
  beforeAll(async () => {
    if (store === 'redis') stateRedis = await startRedisServer();
    writeConfig(store);
  });

  afterAll(async () => {
    if (store === 'redis') await stateRedis?.stop();
    stateRedis = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the bots really share it', async () => {
    const { id } = await request();
    const shown = await cli('carol', ['remediate', 'show', id]);
    expect(shown.stdout).toMatch(/Waiting for approval/);
    if (store === 'redis') {
      // The request lives in the shared Redis (DB 5), not in a file of the bot's folder.
      expect(fs.existsSync(path.join(dir, 'state', 'state.sqlite'))).toBe(false);
      const client = new Redis(`${stateRedis!.url}/5`);
      try {
        expect((await client.keys('wsd:*')).some((k) => k.includes(id))).toBe(true);
      } finally {
        client.disconnect();
      }
    }
    await cli('alice', ['remediate', 'deny', id]);
  });

  test('bot SIGKILLed mid-restart: the next process says interrupted, names the step, runs nothing again', async () => {
    const { id, preview } = await request();
    const t0 = await startedAt();
    const bot = startCli('bob', ['remediate', 'approve', id, preview]);
    // Killed once the execution is recorded (the step is in the shared store) and the engine is restarting web.
    await waitUntil('the run to be executing', async () => (await auditLines()).some((a) => a.request === id && a.step === 'executing'));
    process.kill(-bot.pid, 'SIGKILL');
    await bot.done;
    await new Promise((r) => setTimeout(r, 2500)); // the dead bot's 2 s lease runs out

    const shown = await cli('carol', ['remediate', 'show', id]);
    expect(shown.stdout).toMatch(/Interrupted/);
    expect(shown.stdout).toMatch(/stopped during execution \(last step: restart web, in progress\): it was not re-run/);
    // The engine finishes the restart it was asked for; nobody asks for a second one.
    await waitUntil('web to be restarted once', async () => (await startedAt()) !== t0, 30_000);
    const t1 = await startedAt();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await startedAt()).toBe(t1);
    const again = await cli('bob', ['remediate', 'approve', id, preview]);
    expect(again.stdout).toMatch(/Already decided|Interrupted/);
    const steps = (await auditLines()).filter((a) => a.request === id).map((a) => a.step);
    expect(steps.filter((s) => s === 'executing')).toHaveLength(1);
    expect(steps).toContain('interrupted');
    const verify = await cli('auditor', ['audit', 'verify']);
    expect(verify.code).toBe(0);
  });

  test('two processes approve two requests on one target at once: one runs, the other is refused (lock held)', async () => {
    const a = await request();
    const b = await request();
    const [ra, rb] = await Promise.all([cli('bob', ['remediate', 'approve', a.id, a.preview]), cli('carol', ['remediate', 'approve', b.id, b.preview])]);
    const outs = [ra.stdout, rb.stdout];
    const done = outs.filter((o) => /Done and verified/.test(o));
    const refused = outs.filter((o) => /another remediation is running on service:web \(request r-[0-9a-f]+\)/.test(o));
    expect({ done: done.length, refused: refused.length }).toEqual({ done: 1, refused: 1 });
    const steps = (await auditLines()).filter((x) => x.request === a.id || x.request === b.id);
    expect(steps.filter((s) => s.step === 'executing')).toHaveLength(1);
  });
});
