/**
 * Bolt, the Socket Mode client and the WebClient log through the bot's own logger (pino, redacting), so a token
 * or a response_url in an SDK debug line never reaches a log file in clear.
 */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { createLogger, type Logger } from '../telemetry/logger';
import { redact } from '../telemetry/redact';

/** response_urls grant posting into a conversation for 30 minutes: keep them out of logs too. */
const RESPONSE_URL = /https?:\/\/[^\s"']*\/(?:commands|actions|response)\/[^\s"']+/g;

export function scrub(text: string): string {
  return redact(text).replace(RESPONSE_URL, '[response_url]');
}

function join(msgs: unknown[]): string {
  return scrub(
    msgs
      .map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : (() => { try { return JSON.stringify(m); } catch { return String(m); } })()))
      .join(' '),
  );
}

export function boltLogger(log: Logger, name = 'slack'): BoltLogger {
  let child = log.child({ component: name });
  // Bolt's INFO lines are chatty ("Now connected to Slack"); keep them at debug unless asked for.
  let level: LogLevel = LogLevel.INFO;
  // The SDKs log whole request bodies at debug: format (and scrub) only what will actually be written.
  const at = (lvl: 'debug' | 'warn' | 'error') => (...m: unknown[]) => {
    if (child.isLevelEnabled(lvl)) child[lvl](join(m));
  };
  return {
    debug: at('debug'),
    info: at('debug'),
    warn: at('warn'),
    error: at('error'),
    // The SDKs call setLevel with their own defaults; the bot's LOG_LEVEL decides what is written.
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      child = log.child({ component: n });
    },
  };
}

export function defaultLogger(): Logger {
  return createLogger();
}
