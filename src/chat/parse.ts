/**
 * Turns `/ws …` text (or console input) into an invocation: command name, remaining args, `--env`, and the
 * share flag. Pure: no I/O, so Slack and the console parse identically.
 */
import { inlineCode } from './text';
export interface Invocation {
  name: string;
  args: string[];
  env?: string;
  /** `share` / `--share` / `--public`: answer in the channel instead of privately. */
  share: boolean;
}

export type ParseResult = { ok: true; invocation: Invocation } | { ok: false; error: string };

/** Split on whitespace, keeping "quoted strings" together (for --grep "two words"). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The inverse of tokenize for one argument: quotes it so tokenize gives it back unchanged. */
export function quoteArg(arg: string): string {
  if (arg !== '' && !/[\s"']/.test(arg)) return arg;
  if (!arg.includes("'")) return `'${arg}'`;
  if (!arg.includes('"')) return `"${arg}"`;
  throw new Error('an argument cannot contain both kinds of quote');
}

export function parseInvocation(text: string, defaultCommand = 'status'): ParseResult {
  const tokens = tokenize(text.trim());
  const rest: string[] = [];
  let env: string | undefined;
  let share = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (t === '--env' || t === '-e') {
      const v = tokens[i + 1];
      if (v === undefined || v.startsWith('-')) return { ok: false, error: '`--env` needs an environment name, e.g. `--env staging`.' };
      env = v;
      i++;
    } else if (t.startsWith('--env=')) {
      env = t.slice('--env='.length);
      if (!env) return { ok: false, error: '`--env=` needs an environment name, e.g. `--env=staging`.' };
    } else if (t === 'share' || t === '--share' || t === '--public') {
      share = true;
    } else {
      rest.push(t);
    }
  }
  const first = rest[0];
  // `/ws` alone, or `/ws --env staging`, means status.
  if (first === undefined || first.startsWith('-')) return { ok: true, invocation: { name: defaultCommand, args: rest, share, ...(env ? { env } : {}) } };
  return { ok: true, invocation: { name: first.toLowerCase(), args: rest.slice(1), share, ...(env ? { env } : {}) } };
}

export { closest, editDistance } from '../util/closest';
import { closest } from '../util/closest';

const codeList = (xs: readonly string[]): string => xs.map((x) => inlineCode(x)).join(', ');

/** "No check named `redsi`. Did you mean `redis`? Known checks: …" — undefined when the name is known. */
export function unknownNameError(kind: string, name: string, known: readonly string[]): string | undefined {
  if (known.includes(name)) return undefined;
  const guess = closest(name, known);
  return `No ${kind} named ${inlineCode(name)}.${guess ? ` Did you mean ${inlineCode(guess)}?` : ''} Known ${kind}s: ${codeList(known)}.`;
}
