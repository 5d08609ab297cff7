/**
 * The safety net for leaked servers: a redis-server started while WS_DOCTOR_CHILD_REGISTRY is set lists itself
 * (naming this file as its starter), a clean stop removes the entry, and the jest teardown kills, by pid, one that
 * was never stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../peers/redis';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sweep } = require('../global-teardown.js') as { sweep: (dir: string, say: (line: string) => void) => void };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
};

test('a server left running is listed with who started it, and the teardown stops it by pid', async () => {
  const saved = process.env.WS_DOCTOR_CHILD_REGISTRY;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-children-test-'));
  process.env.WS_DOCTOR_CHILD_REGISTRY = dir;
  try {
    const stopped = await startRedisServer();
    const leaked = await startRedisServer();
    const rec = JSON.parse(fs.readFileSync(path.join(dir, String(leaked.pid)), 'utf8')) as { binary: string; startedBy: string[] };
    expect(rec.binary).toBe('redis-server');
    expect(rec.startedBy.join(' ')).toContain('child-registry.test.ts');

    await stopped.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(fs.readdirSync(dir)).toEqual([String(leaked.pid)]);

    const said: string[] = [];
    sweep(dir, (line) => said.push(line));
    expect(said).toEqual([expect.stringMatching(new RegExp(`stopped a leftover redis-server \\(pid ${leaked.pid}\\), started by .*child-registry\\.test\\.ts`))]);
    for (let i = 0; i < 50 && alive(leaked.pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(leaked.pid)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    await leaked.stop(); // already gone: a no-op, no throw
  } finally {
    process.env.WS_DOCTOR_CHILD_REGISTRY = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
