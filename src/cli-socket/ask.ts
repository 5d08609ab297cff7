/**
 * The first thing a plain `ws-doctor status` does: ask a running bot with the same config (client.ts). Its own
 * bundle (dist/ws-doctor.ask.js, a few KB of Node builtins), which the bin runs before the CLI's shell — so an
 * answered status loads neither commander nor the core. The shell calls it too (runs from source, `tsx
 * src/cli.ts`); a global mark makes sure a process asks only once (a frozen bot costs its wait once).
 */
import { delegableStatus } from './argv';
import { exitFlushed } from '../util/exit-flushed';
import { askRunningBot } from './client';

const ASKED = Symbol.for('ws-doctor.cli-socket.asked');

/** True when a running bot answered: printed, and the process is ending with its exit code. */
export async function answerFromRunningBot(args: readonly string[]): Promise<boolean> {
  const g = globalThis as { [ASKED]?: boolean };
  if (g[ASKED]) return false;
  g[ASKED] = true;
  const ask = delegableStatus(args);
  if (!ask) return false;
  const reply = await askRunningBot({
    ...ask,
    out: { isTTY: process.stdout.isTTY, columns: process.stdout.columns },
    term: { ...(process.env.NO_COLOR !== undefined ? { NO_COLOR: process.env.NO_COLOR } : {}), ...(process.env.TERM !== undefined ? { TERM: process.env.TERM } : {}) },
  });
  if (!reply) return false;
  process.stdout.write(`${reply.out}\n`);
  return exitFlushed(reply.exit);
}
