/**
 * Chaos area: the bot's own memory and its buttons — tampered button values, a state store that cannot be
 * opened, and a writer SIGKILLed in the middle of appending (no torn record, the log goes on).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { press } from '../../src/chat/actions/press';
import { ActionSeal } from '../../src/chat/actions/seal';
import type { ActionContext } from '../../src/chat/actions/types';
import { HistoryStore } from '../../src/state/history';
import { SqliteStore } from '../../src/state/sqlite-store';
import { StateStoreError } from '../../src/state/store';
import { chaosRow, observe } from './row';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-chaos-state-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

chaosRow('button value tampered (payload byte flipped, MAC kept)', 'refused privately, handler never runs', async () => {
  const seal = new ActionSeal(randomBytes(32));
  const real = seal.seal('rerun', { env: 'local' });
  const [v, p = '', m] = real.split('~');
  const forged = [v, p.slice(0, 4) + (p[4] === 'A' ? 'B' : 'A') + p.slice(5), m].join('~');
  let ran = 0;
  const ctx = (): ActionContext => ({
    doctor: {} as ActionContext['doctor'],
    surface: 'console',
    prefix: '',
    user: { id: 'U1' },
    place: 'private',
    runCommand: async () => (ran++, { text: '', blocks: [] }),
    progress: () => undefined,
  });
  const out = await press({ actionId: 'rerun', value: forged }, ctx, { seal, log: { warn: () => undefined } });
  return observe(`${out.ok ? 'ran' : `refused: ${out.reason}`}; handler runs: ${ran}`, !out.ok && ran === 0);
});

chaosRow('state store file cannot be opened (its folder is a plain file)', 'StateStoreError, no crash', async () => {
  const blocker = path.join(tmp, 'blocker');
  fs.writeFileSync(blocker, 'x');
  const store = new SqliteStore({ file: path.join(blocker, 'state.sqlite') });
  const err = await new HistoryStore(store).record('local', new Date().toISOString(), [{ check: 'redis', status: 'ok', summary: '', evidence: {}, durationMs: 1, ref: '' }]).catch((e: unknown) => e);
  await store.close();
  return observe(String((err as Error)?.message ?? 'no error').slice(0, 80), err instanceof StateStoreError);
});

chaosRow('writer SIGKILLed mid-append (500 appends/s to one log)', 'every surviving record whole, seqs contiguous, next append works', async () => {
  const file = path.join(tmp, 'kill.sqlite');
  const script = `const { SqliteStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/state/sqlite-store'))});
    const s = new SqliteStore({ file: ${JSON.stringify(file)} }); let i = 0;
    (async () => { for (;;) { await s.append('audit', { i: i++, pad: 'z'.repeat(2000) }); if (i === 50) process.stdout.write('go\\n'); } })();`;
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const store = new SqliteStore({ file });
  const recs = await store.range<{ i: number; pad: string }>('audit', { limit: 100000 });
  const contiguous = recs.every((r, k) => r.seq === k + 1 && r.value.i === k && r.value.pad.length === 2000);
  const next = await store.append('audit', { i: -1, pad: '' });
  await store.close();
  return observe(`${recs.length} records survived, contiguous: ${contiguous}, next seq ${next}`, recs.length >= 50 && contiguous && next === recs.length + 1);
});
