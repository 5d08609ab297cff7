/**
 * The console loop with in-memory streams: what a person sees for help, typos, the console's own commands and
 * the spinner, on a terminal (isTTY, 80 columns) and on a pipe. The core is an in-test DoctorApi (routing only).
 */
import { PassThrough, Writable } from 'node:stream';
import { runConsole, type ConsoleExtra } from '../../src/console/console';
import { withSpinner } from '../../src/console/spinner';
import { displayWidth } from '../../src/console/wrap';
import type { DoctorApi } from '../../src/core/api';

const doctor: DoctorApi = {
  defaultEnv: 'local',
  envNames: () => ['local'],
  checkNames: () => ['redis'],
  status: () => Promise.reject(new Error('not used')),
  history: async () => [],
  lastReport: () => undefined,
  logs: () => Promise.reject(new Error('not used')),
  logsUnavailable: () => 'no engine',
};

class Screen extends Writable {
  text = '';
  constructor(readonly isTTY: boolean, readonly columns = 80) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const strip = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

const extras: ConsoleExtra[] = [
  { name: 'faults', usage: 'faults', summary: 'List the demo fault switches.', run: () => '  ○ redis-down   stop the demo redis-server' },
  { name: 'fault', usage: 'fault <name> on|off', summary: 'Break (or mend) the demo stack.', run: ([n, s]) => `fault ${n} is ${s}; run status to see the diagnosis.` },
  { name: 'heal', usage: 'heal', summary: 'Switch every fault off.', run: () => 'all faults off' },
];

async function session(lines: string[], out: Screen, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const input = new PassThrough();
  const done = runConsole({ doctor, input, output: out, extras, banner: `ws-doctor demo — backend http://127.0.0.1:38449, redis redis://127.0.0.1:44577, prometheus http://127.0.0.1:36871. Try: status · fault redis-down on`, env });
  input.end(lines.map((l) => `${l}\n`).join(''));
  await done;
  return out.text;
}

describe('console', () => {
  it('help lists the console\'s own commands and no Slack-only option or markup', async () => {
    const text = strip(await session(['help'], new Screen(false)));
    for (const c of ['faults — ', 'fault <name> on|off — ', 'heal — ', 'clear — ', 'quit — ', 'status [--env E] — ', 'check <name> [--env E] — ']) expect(text).toContain(c);
    expect(text).not.toMatch(/share|\/ws|`|\*/);
  });

  it('a typo of a console command is matched against it', async () => {
    expect(strip(await session(['fualt redis-down on'], new Screen(false)))).toContain('Unknown command fualt. Did you mean fault?');
  });

  it('on an 80-column terminal nothing runs past the edge and the banner keeps its words whole', async () => {
    const text = strip(await session(['help', 'faults'], new Screen(true, 80)));
    const lines = text.split('\n').map((l) => l.replace(/^.*\r/, '').replace(/^ws> /, ''));
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    const banner = lines.slice(0, 3).join(' ');
    expect(banner.replace(/ +/g, ' ')).toContain('prometheus http://127.0.0.1:36871. Try: status · fault redis-down on');
    for (const l of lines.slice(0, 2)) expect(l).toMatch(/\S$/); // rows end on a whole word
  });

  it('on a pipe: no prompt, no colour, no wrapping', async () => {
    const text = await session(['help'], new Screen(false));
    expect(text).not.toMatch(/\x1b|ws> /);
    expect(text).toMatch(/^ws-doctor demo — backend .* Try: status · fault redis-down on\n/);
  });

  it('NO_COLOR and TERM=dumb turn colour off on a terminal', async () => {
    expect(await session(['help'], new Screen(true), {})).toMatch(/\x1b\[36m/);
    expect(await session(['help'], new Screen(true), { NO_COLOR: '1' })).not.toMatch(/\x1b\[3/);
    expect(await session(['help'], new Screen(true), { TERM: 'dumb' })).not.toMatch(/\x1b\[3/);
  });

  it('clear clears a terminal and prints nothing on a pipe', async () => {
    expect(await session(['clear'], new Screen(true))).toContain('\x1b[2J');
    expect(await session(['clear'], new Screen(false))).not.toContain('\x1b[2J');
  });
});

describe('spinner', () => {
  const slow = <T>(v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), 200));

  it('hides the cursor while it spins and shows it again', async () => {
    const out = new Screen(true);
    expect(await withSpinner(out, 'Running status on local…', slow(42), {})).toBe(42);
    expect(out.text.startsWith('\x1b[?25l')).toBe(true);
    expect(out.text).toMatch(/⠋ Running status on local… \d\.\ds/);
    expect(out.text.endsWith('\r\x1b[2K\x1b[?25h')).toBe(true);
  });

  it('shows the cursor again when the work fails', async () => {
    const out = new Screen(true);
    await expect(withSpinner(out, 'x', Promise.reject(new Error('boom')), {})).rejects.toThrow('boom');
    expect(out.text.endsWith('\x1b[?25h')).toBe(true);
  });

  it('stays off on a pipe and on a dumb terminal', async () => {
    const pipe = new Screen(false);
    const dumb = new Screen(true);
    await withSpinner(pipe, 'x', slow(1), {});
    await withSpinner(dumb, 'x', slow(1), { TERM: 'dumb' });
    expect(pipe.text).toBe('');
    expect(dumb.text).toBe('');
  });

  it('never draws wider than the terminal', async () => {
    const out = new Screen(true, 40);
    await withSpinner(out, 'Running a command with a very long label that would wrap', slow(1), {});
    for (const frame of strip(out.text).split('\r')) expect(displayWidth(frame)).toBeLessThanOrEqual(40);
  });
});
