/**
 * A list of the servers the demo started (redis-server, Prometheus), one file per pid, kept only when
 * `WS_DOCTOR_CHILD_REGISTRY` names a directory — the test suite sets it (test/global-setup.js).
 *
 * Why: these servers are children of whoever started them, and a parent that dies without running its stop
 * (a test whose afterAll threw before reaching `prom.stop()`, a `ws-doctor demo` process SIGKILLed by a test's
 * timeout) leaves them running: after a CI run, a Prometheus and a redis-server were still there. Jest's
 * global teardown (test/global-teardown.js) stops what is still listed, by pid, and says who started it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../telemetry/redact';

function dir(): string | undefined {
  const d = process.env.WS_DOCTOR_CHILD_REGISTRY;
  return d && path.isAbsolute(d) ? d : undefined;
}

/**
 * Records a started server. `binary` is what /proc/<pid>/cmdline must start with for the teardown to kill it
 * (a pid can be reused); `tmpDir`, a directory of its own the teardown removes after it.
 */
export function registerChild(pid: number, binary: string, tmpDir?: string): void {
  const d = dir();
  if (!d) return;
  // The first frames outside src/demo name the test (or command) that started it.
  const startedBy = (new Error().stack ?? '')
    .split('\n')
    .slice(2)
    .map((l) => l.trim())
    .filter((l) => !/src\/demo\/|node:internal|node_modules/.test(l))
    .slice(0, 3);
  try {
    fs.writeFileSync(path.join(d, String(pid)), JSON.stringify({ pid, binary, startedBy, parent: process.pid, parentCommand: redact(process.argv.slice(1).join(' ')).slice(0, 300), ...(tmpDir ? { tmpDir } : {}) }));
  } catch {
    // The registry is a safety net for tests; a server runs whether or not it could be listed.
  }
}

export function unregisterChild(pid: number): void {
  const d = dir();
  if (d) fs.rmSync(path.join(d, String(pid)), { force: true });
}
