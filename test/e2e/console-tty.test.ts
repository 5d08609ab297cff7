/**
 * The demo console on a real 80-column terminal (tmux, its own server socket): what a person sees after
 * `status`. tmux marks lines the terminal itself had to wrap; joining those (`capture-pane -J`) and finding none
 * longer than 80 columns proves the console wrapped everything itself, with its own indents. And when the
 * terminal goes away (tmux killed: SIGHUP), the demo stops the servers it started instead of orphaning them.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
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

/** Every tmux server this file started: afterAll kills them all (a skipped or failed test may leave one running). */
const sockets: string[] = [];

function startDemoTerminal(name: string): void {
  socket = path.join(dir, `${name}.sock`);
  sockets.push(socket);
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'demo', '-x', '80', '-y', '60', `cd ${ROOT} && TERM=xterm-256color ${tsx} src/cli.ts demo`);
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-tty-'));
  startDemoTerminal('tmux');
});

afterAll(() => {
  for (const s of sockets) {
    try {
      execFileSync('tmux', ['-S', s, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
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

test('the terminal closing (tmux killed, SIGHUP) stops the demo and the redis-server and Prometheus it started', async () => {
  startDemoTerminal('hangup');
  const s = await until('the prompt', (x) => /^ws> /m.test(x));
  const redisPort = Number(/redis redis:\/\/127\.0\.0\.1:(\d+)/.exec(s)?.[1]);
  const promPort = Number(/prometheus http:\/\/127\.0\.0\.1:(\d+)/.exec(s)?.[1]);
  expect([await listening(redisPort), await listening(promPort)]).toEqual([true, true]);
  tmux('kill-server');
  // Before: Prometheus (which takes SIGHUP as "reload") ran on with the demo gone.
  const end = Date.now() + 20000;
  let up = [true, true];
  while (Date.now() < end && up.some(Boolean)) {
    await new Promise((r) => setTimeout(r, 250));
    up = [await listening(redisPort), await listening(promPort)];
  }
  expect({ redis: up[0], prometheus: up[1] }).toEqual({ redis: false, prometheus: false });
});
