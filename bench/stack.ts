/**
 * Shared by the benchmarks: the demo stack in its own process (as a real stack would be, so a benchmark does
 * not share an event loop with what it measures) and the bot config pointing at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { loadConfig } from '../src/config/load';
import { environmentSchema, type Config } from '../src/config/schema';
import { DEMO_SERVICE_ACCOUNT } from '../src/demo/users';

export interface Stack {
  url: string;
  wsUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** Reads the first stdout line of a child (its JSON hello); rejects if it exits first. */
export async function firstLine(child: ChildProcess, what: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code})`)));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** redis-server + demo backend in a child process (bench/stack-process.ts); stopped by pid. */
export async function startStackProcess(): Promise<Stack> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'stack-process.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const info = JSON.parse(await firstLine(child, 'demo stack process')) as Omit<Stack, 'stop'>;
    return { ...info, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** The bot's config for the bench stack: one environment `bench`, no Prometheus or Docker (not in the stack). */
export function benchConfig(stack: Pick<Stack, 'url' | 'redisUrl'>): Config {
  const base = loadConfig({ env: {} });
  const env = environmentSchema.parse({
    backend: { url: stack.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password } },
    redis: { url: stack.redisUrl },
    prometheus: { enabled: false },
    docker: { enabled: false },
  });
  return { ...base, defaultEnv: 'bench', environments: { bench: env } };
}
