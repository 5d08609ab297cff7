/**
 * The bot's own log: JSON lines (pino) on stderr, every message and string field passed through redact() so a
 * token in an error message never reaches a log file.
 */
import pino, { type Logger } from 'pino';
import { redact, redactDeep } from './redact';

export type { Logger };

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      name: 'ws-doctor',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : redactDeep(a))) as Parameters<typeof method>;
          method.apply(this, redacted);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}
