/**
 * History on the state store (a real SQLite file): bounded per environment on every write, newest first,
 * filtered by check, kept across a restart — and a one-shot process (the CLI under cron) only ever reads and
 * trims a bounded amount however often it runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Finding } from '../../src/checks/types';
import { HistoryStore } from '../../src/state/history';
import { SqliteStore } from '../../src/state/sqlite-store';

const finding = (check: string, status: Finding['status']): Finding => ({ check, status, summary: `${check} ${status}`, evidence: {}, durationMs: 1, ref: 'x' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-hist-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('keeps the newest runs per environment, newest first, filtered by check', async () => {
  const store = new SqliteStore({ file: path.join(dir, 'a.sqlite') });
  const h = new HistoryStore(store, { keepRuns: 3 });
  for (let i = 0; i < 5; i++) await h.record('local', `2026-11-26T00:00:0${i}Z`, [finding('redis', i % 2 ? 'fail' : 'ok'), finding('metrics', 'ok')]);
  await h.record('staging', '2026-11-26T00:01:00Z', [finding('redis', 'ok')]);
  expect((await h.list('local', { check: 'redis' })).map((e) => e.at)).toEqual(['2026-11-26T00:00:04Z', '2026-11-26T00:00:03Z', '2026-11-26T00:00:02Z']);
  expect(await h.list('local')).toHaveLength(6);
  expect((await h.list('local', { limit: 2 })).map((e) => e.at)).toEqual(['2026-11-26T00:00:04Z', '2026-11-26T00:00:04Z']);
  expect((await h.list('staging')).map((e) => e.finding.check)).toEqual(['redis']);
  expect(await h.list('nowhere')).toEqual([]);
  // Bounded on disk, not just in what is returned.
  expect(await store.range('history:local')).toHaveLength(3);
  await store.close();
});

it('survives a restart, and two hundred one-shot runs leave the history bounded', async () => {
  const file = path.join(dir, 'b.sqlite');
  for (let i = 0; i < 200; i++) {
    // A new store each time, as a cron-driven CLI would open it.
    const s = new SqliteStore({ file });
    await new HistoryStore(s, { keepRuns: 50 }).record('local', new Date(Date.UTC(2026, 10, 26, 0, 0, i)).toISOString(), [finding('redis', 'ok')]);
    await s.close();
  }
  const s = new SqliteStore({ file });
  const runs = await s.range('history:local');
  expect(runs).toHaveLength(50);
  expect(runs[runs.length - 1]?.seq).toBe(200);
  expect((await new HistoryStore(s).list('local', { limit: 1 }))[0]?.at).toBe('2026-11-26T00:03:19.000Z');
  await s.close();
}, 60000);
