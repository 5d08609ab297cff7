/**
 * The demo's servers die with the process that started them, even when it is SIGKILLed and runs no cleanup
 * (src/demo/spawn-tied.ts): a redis-server and a Prometheus started by a child process are gone soon after that
 * process is killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..');

/** Alive and not a zombie (an orphan's zombie stays until init reaps it). */
const alive = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

test('SIGKILL the process that started a redis-server and a Prometheus: both stop within seconds', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/start-demo-servers.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
  });
  const pids = JSON.parse(line) as { redis: number; prometheus: number };
  expect([alive(pids.redis), alive(pids.prometheus)]).toEqual([true, true]);

  child.kill('SIGKILL');
  const end = Date.now() + 15_000;
  while (Date.now() < end && (alive(pids.redis) || alive(pids.prometheus))) await new Promise((r) => setTimeout(r, 100));
  const left = { redis: alive(pids.redis), prometheus: alive(pids.prometheus) };
  // Never leave them behind, whatever the assertion says.
  for (const pid of [pids.redis, pids.prometheus]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  expect(left).toEqual({ redis: false, prometheus: false });
}, 60_000);
