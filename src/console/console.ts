/**
 * The interactive console: the same commands Slack gets, typed in a terminal without the `/ws` (which is still
 * accepted), answered from the same message models rendered as text. Used when no Slack credentials are
 * configured, and by `npm run demo`. Its own commands (`clear`, `quit`, and the demo's extras) are in its help.
 */
import readline from 'node:readline';
import type { DoctorApi } from '../core/api';
import { localUser } from '../util/local-user';
import { dispatch } from '../chat/dispatch';
import { helpMessage, type ExtraHelp } from '../chat/commands/help';
import { commands, findCommand } from '../chat/commands/registry';
import { closest, parseInvocation } from '../chat/parse';
import type { MessageModel } from '../chat/model';
import { inlineCode } from '../chat/text';
import type { IncidentSink } from '../alerts/sink';
import { ConsoleActions } from './console-actions';
import { ConsoleIncidentSink } from './console-sink';
import { renderText } from './render';
import { withSpinner } from './spinner';
import { terminalStyle } from './terminal';
import { wrapText } from './wrap';

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
  /** Who types here (policy principal); default the login name, `local:<name>`. */
  user?: { id: string; name?: string };
  env?: NodeJS.ProcessEnv;
  /** Closes the console as if `quit` was typed (SIGTERM in main.ts). */
  signal?: AbortSignal;
  /**
   * Alert rules while the console is open: called once with the console's incident sink, so cards are printed
   * as they change and their buttons pressed with `press <n>` (main.ts starts the alert service here).
   */
  alerts?: (sink: IncidentSink) => void | Promise<void>;
}

/** The console's own commands, always there. */
const BUILTINS: readonly ExtraHelp[] = [
  { usage: 'actions', summary: 'List the buttons of the last answer (Re-run, Details, Post to channel, …).' },
  { usage: 'press <n>', summary: 'Press button n of the last answer, as a click in Slack would.' },
  { usage: 'clear', summary: 'Clear the screen.' },
  { usage: 'quit', summary: 'Leave the console (also `exit`, Ctrl-D).' },
];

export async function runConsole(opts: ConsoleOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const out = opts.output ?? process.stdout;
  const term = terminalStyle(out, opts.env ?? process.env);
  const color = opts.color ?? term.color;
  // Read per answer: the terminal may have been resized since the last one.
  const width = (): number | undefined => terminalStyle(out, opts.env ?? process.env).width;
  const extras = opts.extras ?? [];
  const own: readonly ExtraHelp[] = [...extras.map((e) => ({ usage: e.usage, summary: e.summary })), ...BUILTINS];
  const say = (text: string, indent = 2): void => {
    out.write(`${wrapText(text, width(), indent)}\n`);
  };
  const rl = readline.createInterface({ input, output: out, terminal: Boolean(out.isTTY), prompt: 'ws> ' });
  opts.signal?.addEventListener('abort', () => rl.close(), { once: true });
  if (opts.banner) say(opts.banner, 0);
  const cmd = (s: string): string => (color ? `\x1b[36m${s}\x1b[0m` : s);
  say(`Type a command: ${cmd('status')}, ${cmd('check redis')}, ${cmd('help')} for all of them${extras.length ? ` and the demo's ${cmd('faults')}` : ''}, ${cmd('quit')} to leave.`, 0);
  const buttons = new ConsoleActions(opts.doctor, '', undefined, opts.user ?? localUser());
  const dim = (t: string): string => (color ? `\x1b[2m${t}\x1b[0m` : t);
  const print = (msg: MessageModel, o: { note?: string } = {}): void => {
    out.write(`${renderText(msg, { color, width: width() })}\n`);
    if (o.note) out.write(`${dim(o.note)}\n`);
    const hint = msg.blocks.some((b) => b.type === 'actions') ? buttons.hint() : undefined;
    if (hint) out.write(`${dim(hint)}\n`);
  };
  // Prompts only make sense to a person at a terminal; piped input (scripts, tests) gets clean output.
  const prompt = (): void => {
    if (out.isTTY) rl.prompt();
  };
  if (opts.alerts) {
    // A card arriving while someone types is printed on its own lines and becomes what `press` acts on.
    await opts.alerts(
      new ConsoleIncidentSink({
        card: (model, note) => {
          print(buttons.shown(model), note ? { note } : {});
          prompt();
        },
        line: (model) => out.write(`${renderText(model, { color, width: width() })}\n`),
      }),
    );
  }
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
    const parsed = parseInvocation(line);
    const unknown = !extra && !['clear', 'actions', 'press'].includes(word) && parsed.ok && !findCommand(parsed.invocation.name) ? parsed.invocation.name : undefined;
    const helpWith = (lead?: string): string =>
      renderText(helpMessage(commands, { prefix: '', surface: 'console', extras: { title: extras.length ? 'Console and demo:' : 'Console:', commands: own }, ...(lead ? { lead } : {}) }), { color, width: width() });
    if (unknown !== undefined) {
      // Typos are matched against every command typed here, the console's own included (`fualt` → `fault`).
      const guess = closest(unknown, [...commands.map((c) => c.name), ...extras.map((e) => e.name), 'clear', 'quit', 'actions', 'press']);
      out.write(`${helpWith(`Unknown command ${inlineCode(unknown)}.${guess ? ` Did you mean ${inlineCode(guess)}?` : ''}`)}\n`);
    } else if (word === 'actions') {
      out.write(`${buttons.list()}\n`);
    } else if (word === 'press') {
      await buttons.press(args[0], {
        message: print,
        progress: (m) => {
          if (out.isTTY) out.write(`${dim(m.text)}\n`);
        },
      });
    } else if (word === 'clear') {
      if (out.isTTY) out.write('\x1b[2J\x1b[3J\x1b[H');
    } else if (word === 'help' && args.length === 0) {
      out.write(`${helpWith()}\n`);
    } else if (extra) {
      try {
        say(await extra.run(args), 4);
      } catch (err) {
        say((err as Error).message);
      }
    } else {
      const plan = dispatch(line, { doctor: opts.doctor, surface: 'console', prefix: '', user: opts.user ?? localUser() });
      const msg = plan.kind === 'immediate' ? plan.message : await withSpinner(out, plan.placeholder.text, plan.run(), opts.env ?? process.env);
      print(plan.kind === 'run' ? buttons.shown(msg, line, plan.env) : buttons.shown(msg));
      if (plan.kind === 'run' && msg.details && plan.command === 'status') {
        out.write(`${color ? '\x1b[2m' : ''}(${color ? '\x1b[0;36m' : ''}check <name>${color ? '\x1b[0;2m' : ''} shows a check's evidence)${color ? '\x1b[0m' : ''}\n`);
      }
    }
    prompt();
  }
  rl.close();
}
