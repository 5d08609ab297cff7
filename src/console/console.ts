/**
 * The interactive console: the same `/ws …` commands Slack gets, typed in a terminal, answered from the same
 * message models rendered as text. Used when no Slack credentials are configured, and by `npm run demo`.
 */
import readline from 'node:readline';
import type { DoctorApi } from '../chat/commands/types';
import { dispatch } from '../chat/dispatch';
import { renderText } from './render';
import { withSpinner } from './spinner';

/** Console-only commands (the demo's fault switches); not part of the Slack command set. */
export interface ConsoleExtra {
  name: string;
  usage: string;
  summary: string;
  run(args: string[]): Promise<string> | string;
}

export interface ConsoleOptions {
  doctor: DoctorApi;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  extras?: ConsoleExtra[];
  banner?: string;
  color?: boolean;
  /** Closes the console as if `quit` was typed (SIGTERM in main.ts). */
  signal?: AbortSignal;
}

export async function runConsole(opts: ConsoleOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const out = opts.output ?? process.stdout;
  const color = opts.color ?? (Boolean(out.isTTY) && !process.env.NO_COLOR);
  const extras = opts.extras ?? [];
  const rl = readline.createInterface({ input, output: out, terminal: Boolean(out.isTTY), prompt: 'ws> ' });
  opts.signal?.addEventListener('abort', () => rl.close(), { once: true });
  if (opts.banner) out.write(`${opts.banner}\n`);
  out.write(`Type a /ws command (e.g. \`status\`, \`check redis\`, \`help\`)${extras.length ? ', `extras` for demo controls' : ''}, or \`quit\`.\n`);
  // Prompts only make sense to a person at a terminal; piped input (scripts, tests) gets clean output.
  const prompt = (): void => {
    if (out.isTTY) rl.prompt();
  };
  prompt();
  // Lines are handled one at a time, in order, even when piped in faster than checks run.
  for await (const raw of rl) {
    const line = raw.trim().replace(/^\/ws\b\s*/, '');
    if (line === 'quit' || line === 'exit') break;
    if (line === '') {
      prompt();
      continue;
    }
    const [word = '', ...args] = line.split(/\s+/);
    const extra = extras.find((e) => e.name === word);
    if (word === 'extras') {
      out.write(extras.map((e) => `  ${e.usage} — ${e.summary}`).join('\n') + '\n');
    } else if (extra) {
      try {
        out.write(`${await extra.run(args)}\n`);
      } catch (err) {
        out.write(`${(err as Error).message}\n`);
      }
    } else {
      const plan = dispatch(line, { doctor: opts.doctor, surface: 'console', prefix: '/ws' });
      const msg = plan.kind === 'immediate' ? plan.message : await withSpinner(out, plan.placeholder.text, plan.run());
      out.write(`${renderText(msg, { color, width: out.columns ?? 80 })}\n`);
      if (plan.kind === 'run' && msg.details && plan.command === 'status') {
        out.write(`${color ? '\x1b[2m' : ''}(\`check <name>\` shows a check's evidence)${color ? '\x1b[0m' : ''}\n`);
      }
    }
    prompt();
  }
  rl.close();
}
