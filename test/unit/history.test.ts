import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HistoryStore } from '../../src/state/history';
import type { Finding } from '../../src/checks/types';

const finding = (check: string, status: Finding['status']): Finding => ({ check, status, summary: `${check} ${status}`, evidence: {}, durationMs: 1, ref: 'x' });

describe('history store', () => {
  it('keeps the newest results per check, bounded', () => {
    const h = new HistoryStore({ perCheck: 3 });
    for (let i = 0; i < 5; i++) h.record('local', `2026-11-26T00:00:0${i}Z`, [finding('redis', i % 2 ? 'fail' : 'ok'), finding('metrics', 'ok')]);
    const redis = h.list('local', { check: 'redis' });
    expect(redis.map((e) => e.at)).toEqual(['2026-11-26T00:00:04Z', '2026-11-26T00:00:03Z', '2026-11-26T00:00:02Z']);
    expect(h.list('local').length).toBe(6);
    expect(h.list('staging')).toEqual([]);
  });

  it('survives a restart through its file, skipping a torn last line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-hist-'));
    const a = new HistoryStore({ dir });
    a.record('local', '2026-11-26T00:00:01Z', [finding('redis', 'ok')]);
    a.record('local', '2026-11-26T00:00:02Z', [finding('redis', 'fail')]);
    fs.appendFileSync(path.join(dir, 'history.jsonl'), '{"env":"local","at":"2026-11-26T00:00:03Z","fin');
    const b = new HistoryStore({ dir });
    expect(b.list('local', { check: 'redis' }).map((e) => e.finding.status)).toEqual(['fail', 'ok']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
