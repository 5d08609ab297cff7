/**
 * A one-line spinner while slow commands run, on interactive terminals only: a pipe (CI logs) or `TERM=dumb`
 * (editors' shells, which print every redraw as a new line) gets nothing. The cursor is hidden while it spins
 * and shown again however the work ends, also when the process exits mid-run.
 */
import { terminalStyle, type TerminalOut } from './terminal';
import { displayWidth } from './wrap';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export async function withSpinner<T>(out: NodeJS.WritableStream & TerminalOut, label: string, work: Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const term = terminalStyle(out, env);
  if (!term.interactive) return work;
  let i = 0;
  const started = Date.now();
  // Never longer than the terminal is wide: a wrapped spinner line cannot be redrawn in place.
  const room = (term.width ?? 80) - 10;
  const text = displayWidth(label) > room ? `${[...label].slice(0, Math.max(0, room - 1)).join('')}…` : label;
  const draw = (): void => {
    out.write(`\r${FRAMES[i++ % FRAMES.length]} ${text} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };
  const restore = (): void => {
    out.write(SHOW_CURSOR);
  };
  process.once('exit', restore);
  out.write(HIDE_CURSOR);
  draw();
  const timer = setInterval(draw, 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.removeListener('exit', restore);
    out.write(`\r\x1b[2K${SHOW_CURSOR}`);
  }
}
