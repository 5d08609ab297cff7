import { parseDurationSeconds } from '../../util/duration';
import { compileUserPattern } from '../../util/user-regex';
import { inlineCode, literal } from '../text';
import type { LogsQuery } from '../../core/api';
import type { CommandSpec } from './types';

const DEFAULT_SINCE = 600;
const DEFAULT_TAIL = 50;
const MAX_TAIL = 500;

/** `[service] [--since 10m] [--grep PATTERN] [--tail N]` → query, or an error sentence. */
export function parseLogsArgs(args: string[]): LogsQuery | string {
  const q: LogsQuery = { sinceSeconds: DEFAULT_SINCE, tail: DEFAULT_TAIL };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const next = args[i + 1];
    if (a === '--since') {
      const s = next === undefined ? undefined : parseDurationSeconds(next);
      if (s === undefined) return '`--since` needs a duration like `30s`, `10m` or `2h`.';
      q.sinceSeconds = s;
      i++;
    } else if (a === '--grep') {
      if (!next) return '`--grep` needs a pattern, e.g. `--grep WS_TOKEN`.';
      const re = compileUserPattern(next);
      if (!re.ok) return `--grep ${inlineCode(next)}: ${re.error}.`;
      q.grep = next;
      i++;
    } else if (a === '--tail') {
      const n = next === undefined ? NaN : Number(next);
      if (!Number.isInteger(n) || n < 1 || n > MAX_TAIL) return `\`--tail\` needs a whole number from 1 to ${MAX_TAIL}.`;
      q.tail = n;
      i++;
    } else if (a.startsWith('-')) {
      return `Unknown option ${inlineCode(a)} for \`logs\`; use \`--since\`, \`--grep\` or \`--tail\`.`;
    } else if (q.service === undefined) {
      q.service = a;
    } else {
      return `\`logs\` takes one service name (got ${inlineCode(q.service ?? '')} and ${inlineCode(a)}).`;
    }
  }
  return q;
}

export const logsCommand: CommandSpec = {
  name: 'logs',
  usage: 'logs [service] [--since 10m] [--grep PATTERN] [--tail N] [--env E]',
  summary: 'Recent container logs of a compose service (default: web), secrets redacted.',
  examples: ['logs', 'logs web --since 5m --grep WS_', 'logs celery --tail 100'],
  slow: true,
  shareable: true,
  validate(args, { doctor, env }) {
    const unavailable = doctor.logsUnavailable(env);
    if (unavailable) return unavailable;
    const q = parseLogsArgs(args);
    return typeof q === 'string' ? q : undefined;
  },
  async run(ctx, args) {
    const q = parseLogsArgs(args);
    if (typeof q === 'string') throw new Error('logs called without validation');
    const res = await ctx.doctor.logs(ctx.env, q);
    const header = `Logs of ${inlineCode(res.service)} (${literal(res.container)}) — last ${Math.round(q.sinceSeconds / 60) || q.sinceSeconds + 's'}${
      q.sinceSeconds >= 60 ? ' min' : ''
    }${q.grep ? `, matching ${inlineCode(q.grep)}` : ''}`;
    return {
      text: `${res.lines.length} log lines of ${res.service}`,
      blocks: [
        { type: 'text', text: header },
        { type: 'code', text: res.lines.length ? res.lines.join('\n') : '(no lines in this window)' },
        { type: 'context' as const, text: coverage(res, q.tail) },
      ],
    };
  },
};

/** Whether what is shown covers the whole window, said plainly (a tail can hide the start of the window). */
function coverage(res: { lines: string[]; truncated: boolean; matched?: number; windowScanned?: boolean }, tail: number): string {
  if (res.windowScanned === false) {
    return `Not the whole window: the search stopped at its scan limit, so older lines of the window were not read. Narrow \`--since\`.`;
  }
  if (res.truncated) {
    const of = res.matched !== undefined && res.matched > res.lines.length ? ` of ${res.matched}` : '';
    return `Not the whole window: showing the last ${tail}${of} lines; the window starts earlier. Use \`--tail\`, \`--since\` or \`--grep\` to see the rest.`;
  }
  return `The whole window: all ${res.lines.length} line(s).`;
}
