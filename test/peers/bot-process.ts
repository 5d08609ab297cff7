/**
 * ws-doctor as a real process (`tsx src/cli.ts start`), for tests of what only a process shows: signals,
 * exit codes, several replicas, its own metrics registry. The config is written to a temp YAML file; Slack
 * goes to the stand-in. Waits for `/healthz` on the ops port; stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { freePort } from '../../src/util/net';
import { REPO_ROOT } from './slack-api';

/**
 * tsx as an in-process loader (`node --import …`), not its CLI: the CLI runs the script in a child process and
 * relays signals, and that relay must not stand between a test's SIGTERM and the bot's own handler.
 */
const TSX_LOADER = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

export interface BotProcess {
  readonly pid: number;
  readonly metricsPort: number;
  readonly opsUrl: string;
  /** The YAML file the bot was started with ($WS_DOCTOR_CONFIG; removed when the process ends). */
  readonly configFile: string;
  /** HTTP mode: the Slack events URL. */
  readonly eventsUrl?: string;
  /** Everything the process wrote to stderr (its JSON log) so far. */
  logs(): string;
  /** Resolves with the exit code (signal → 128+n) when the process ends. */
  readonly exited: Promise<number>;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; returns the exit code. */
  stop(graceMs?: number): Promise<number>;
}

export interface BotProcessOptions {
  /** The config object (YAML-serialisable input to the schema). */
  config: Record<string, unknown>;
  /** Extra environment (SLACK_* …). */
  env?: Record<string, string>;
  /** Slack HTTP mode: listen on a free port (sets PORT). */
  http?: boolean;
  args?: string[];
  /** Run with this Node binary instead of the current one. */
  node?: string;
  healthTimeoutMs?: number;
  /** Wait for `/readyz` 200 (Slack connected, store usable) instead of only `/healthz`. Default true. */
  waitReady?: boolean;
}

export async function startBotProcess(opts: BotProcessOptions): Promise<BotProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wsd-bot-'));
  const file = path.join(dir, 'ws-doctor.yml');
  writeFileSync(file, YAML.stringify({ stateDir: path.join(dir, 'state'), ...opts.config }));
  const metricsPort = await freePort();
  const slackPort = opts.http ? await freePort() : undefined;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LOG_LEVEL: 'info',
    WS_DOCTOR_CONFIG: file,
    WS_DOCTOR_METRICS_PORT: String(metricsPort),
    ...(slackPort !== undefined ? { PORT: String(slackPort) } : {}),
    ...opts.env,
  };
  const child: ChildProcess = spawn(opts.node ?? process.execPath, ['--import', TSX_LOADER, path.join(REPO_ROOT, 'src/cli.ts'), ...(opts.args ?? ['start'])], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-200000)));
  child.stdout?.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-200000)));
  let code: number | undefined;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (c, sig) => {
      code = c ?? 128 + (sig ? (os.constants.signals[sig] ?? 0) : 0);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error('bot process did not start');
  const pid = child.pid;
  const opsUrl = `http://127.0.0.1:${metricsPort}`;
  const until = Date.now() + (opts.healthTimeoutMs ?? 30000);
  for (;;) {
    if (code !== undefined) throw new Error(`bot exited with ${code} during start-up:\n${stderr.slice(-3000)}`);
    const probe = opts.waitReady === false ? 'healthz' : 'readyz';
    const ok = await fetch(`${opsUrl}/${probe}`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`bot was not healthy/ready within the start-up budget:\n${stderr.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const signal = (sig: NodeJS.Signals): void => {
    if (code === undefined) process.kill(pid, sig);
  };
  return {
    pid,
    metricsPort,
    opsUrl,
    configFile: file,
    ...(slackPort !== undefined ? { eventsUrl: `http://127.0.0.1:${slackPort}/slack/events` } : {}),
    logs: () => stderr,
    exited,
    signal,
    async stop(graceMs = 15000) {
      if (code !== undefined) return code;
      signal('SIGTERM');
      let t: NodeJS.Timeout | undefined;
      const done = await Promise.race([exited, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), graceMs)))]);
      clearTimeout(t);
      if (done !== undefined) return done;
      signal('SIGKILL');
      return exited;
    },
  };
}

/** The value of one sample line of a Prometheus exposition (`name{labels} value`), summed over matches. */
export function sampleSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
