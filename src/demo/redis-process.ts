/**
 * Spawns a private `redis-server` on a free loopback port with no persistence: the demo stack's Redis and the
 * test suite's. Stopped by pid, never by name (another Redis may run on this machine).
 */
import type { ChildProcess } from 'node:child_process';
import { registerChild, unregisterChild } from './child-registry';
import { spawnTiedToParent } from './spawn-tied';
import { freePort, waitForPort } from '../util/net';

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** `dataDir`: persist there (append-only file, fsync per write) so a restart on the same dir keeps the data. */
export async function startRedisServer(opts: { port?: number; binary?: string; dataDir?: string } = {}): Promise<RedisProcess> {
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? 'redis-server';
  const child: ChildProcess = spawnTiedToParent(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      ...(opts.dataDir ? ['--dir', opts.dataDir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        new Error(
          `cannot start ${binary} (${(err as NodeJS.ErrnoException).code ?? err.message}); install it with: apt-get install -y redis-server`,
        ),
      ),
    ),
  );
  await Promise.race([waitForPort(port, 10000), spawnError]);
  if (child.pid === undefined) throw new Error(`${binary} did not start`);
  const pid = child.pid;
  registerChild(pid, binary);
  let exited = child.exitCode !== null;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), unregisterChild(pid), resolve())));
  return {
    port,
    pid,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      await Promise.race([exitPromise, new Promise((r) => setTimeout(r, 3000).unref())]);
      if (!exited) process.kill(pid, 'SIGKILL');
    },
  };
}
