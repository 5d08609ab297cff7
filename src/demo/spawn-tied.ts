/**
 * Spawns one of the demo's servers (redis-server, Prometheus) so that it dies with the process that started it.
 *
 * A parent that is SIGKILLed runs no cleanup, and its children run on as orphans (a `ws-doctor demo` killed by
 * a test's timeout or by a person's `kill -9`). On Linux, util-linux's `setpriv --pdeathsig TERM` asks the kernel
 * to send the child SIGTERM when its parent dies, then execs the server in place: same pid, so stop-by-pid is
 * unchanged. Elsewhere, or without setpriv, or when the binary is not on PATH (the plain spawn's ENOENT carries
 * the install hint), it is a plain spawn.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { which } from '../util/which';

const SETPRIV = '/usr/bin/setpriv';

export function spawnTiedToParent(binary: string, args: string[], opts: SpawnOptions): ChildProcess {
  const resolved = process.platform === 'linux' && fs.existsSync(SETPRIV) ? which(binary) : undefined;
  if (!resolved) return spawn(binary, args, opts);
  return spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', resolved, ...args], opts);
}
