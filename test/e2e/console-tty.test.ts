/**
 * The demo console on a real 80-column terminal (tmux, its own server socket): what a person sees after
 * `status`. tmux marks lines the terminal itself had to wrap; joining those (`capture-pane -J`) and finding none
 * longer than 80 columns proves the console wrapped everything itself, with its own indents.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { displayWidth } from '../../src/console/wrap';

jest.setTimeout(90000);

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;
let socket: string;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-J', '-t', 'demo', '-S', '-200');

async function until(what: string, ok: (s: string) => boolean, ms = 40000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-tty-'));
  socket = path.join(dir, 'tmux.sock');
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'demo', '-x', '80', '-y', '60', `cd ${ROOT} && TERM=xterm-256color ${tsx} src/cli.ts demo`);
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
});

test('status on an 80-column terminal: nothing wraps on its own, rows keep their columns, no Slack markup', async () => {
  await until('the prompt', (s) => /^ws> /m.test(s));
  tmux('send-keys', '-t', 'demo', 'status', 'Enter');
  const s = await until('the status answer', (x) => /env demo · \d+ checks/.test(x));
  const lines = s.split('\n').map((l) => l.replace(/\s+$/, ''));
  for (const l of lines) expect({ line: l, width: displayWidth(l) <= 80 }).toEqual({ line: l, width: true });
  const rows = lines.filter((l) => /^ {2}[✅❌❔⚠]/.test(l));
  expect(rows.length).toBeGreaterThanOrEqual(10);
  // A continuation line of a check row starts under the summary column, not at column 0.
  const column = displayWidth(rows[0]!.slice(0, rows[0]!.search(/\d+ ms {2}/))) + rows[0]!.match(/\d+ ms {2}/)![0].length;
  const after = lines.slice(lines.indexOf(rows[0]!)).filter((l) => l && !/^ {2}[✅❌❔⚠]/.test(l) && /^ {10}/.test(l));
  expect(after.length).toBeGreaterThan(0); // long summaries (ws-edge, channel-layer) do continue
  for (const l of after) expect(l.length - l.trimStart().length).toBe(column);
  expect(s).not.toMatch(/`|\[share\]|\/ws (status|check|help)/);
  tmux('send-keys', '-t', 'demo', 'quit', 'Enter');
});
