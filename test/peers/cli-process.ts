/**
 * Runs `ws-doctor` as a whole process, as cron, CI or a person does: its own node, a clean environment without
 * Slack credentials, and timings a user would feel — until the answer appears and until the process is gone.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const REPO = path.join(__dirname, '../..');
const TSX = require.resolve('tsx/cli');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to the process being gone. */
  ms: number;
  /** From spawn to the first byte on stdout (the answer), or undefined if it printed nothing. */
  firstOutputMs: number | undefined;
  /** From the first byte on stdout to exit: how long the process lingered after answering. */
  lingerMs: number | undefined;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Kill after this long (a hang is then reported as signal SIGKILL). Default 60 s. */
  killAfterMs?: number;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...opts.env };
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(process.execPath, [TSX, path.join(REPO, 'src/cli.ts'), ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstOutputMs: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      firstOutputMs ??= since();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      const ms = since();
      // Give the pipes a moment to drain what was written just before exit.
      setTimeout(() => resolve({ code, signal, stdout, stderr, ms, firstOutputMs, lingerMs: firstOutputMs === undefined ? undefined : ms - firstOutputMs }), 20);
    });
    child.stdin.end(opts.input ?? '');
  });
}
