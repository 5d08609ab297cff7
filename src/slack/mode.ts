/**
 * Which Slack transport the config asks for, and its credentials. No Slack library is loaded here: main.ts
 * asks this before deciding whether to load Bolt at all (the console never does: ~25 MB of RSS saved).
 */
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';

export type SlackMode = 'socket' | 'http' | 'off';

/** A Slack setting that cannot work; a ConfigError, so the CLI prints it like any config problem (no stack). */
export class SlackConfigError extends ConfigError {
  constructor(problem: string) {
    super('the Slack settings (slack.* / SLACK_* variables)', [problem]);
    this.name = 'SlackConfigError';
  }
}

export interface ResolvedSlack {
  mode: SlackMode;
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  port: number;
  apiUrl?: string;
  command: string;
}

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);

/**
 * Credentials from the config (loadConfig already copies SLACK_* variables in), falling back to `env` so a
 * hand-built Config works too. Explicit modes with missing credentials are configuration errors; `auto` picks
 * Socket Mode when an app token is set, HTTP when a signing secret is, and `off` (the console) otherwise.
 * Error messages name the variable, never its value.
 */
export function resolveSlack(config: Config, env: NodeJS.ProcessEnv = process.env): ResolvedSlack {
  const s = config.slack;
  const botToken = nonEmpty(s.botToken) ?? nonEmpty(env.SLACK_BOT_TOKEN);
  const appToken = nonEmpty(s.appToken) ?? nonEmpty(env.SLACK_APP_TOKEN);
  const signingSecret = nonEmpty(s.signingSecret) ?? nonEmpty(env.SLACK_SIGNING_SECRET);
  const apiUrl = nonEmpty(s.apiUrl) ?? nonEmpty(env.SLACK_API_URL);
  const base = {
    port: s.port,
    command: s.command.startsWith('/') ? s.command : `/${s.command}`,
    ...(botToken ? { botToken } : {}),
    ...(appToken ? { appToken } : {}),
    ...(signingSecret ? { signingSecret } : {}),
    ...(apiUrl ? { apiUrl } : {}),
  };
  if (botToken && !botToken.startsWith('xoxb-')) throw new SlackConfigError('SLACK_BOT_TOKEN (slack.botToken) must be a bot token starting with xoxb-.');
  if (appToken && !appToken.startsWith('xapp-')) throw new SlackConfigError('SLACK_APP_TOKEN (slack.appToken) must be an app-level token starting with xapp-.');
  let mode: SlackMode;
  switch (s.mode) {
    case 'off':
      mode = 'off';
      break;
    case 'socket':
      if (!botToken || !appToken) throw new SlackConfigError('slack.mode is "socket": set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (app-level token with connections:write).');
      mode = 'socket';
      break;
    case 'http':
      if (!botToken || !signingSecret) throw new SlackConfigError('slack.mode is "http": set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.');
      mode = 'http';
      break;
    default:
      mode = botToken && appToken ? 'socket' : botToken && signingSecret ? 'http' : 'off';
  }
  return { mode, ...base };
}

/** Which transport the bot will use: `socket`, `http`, or `off` (main.ts then starts the console). */
export function slackMode(config: Config, env: NodeJS.ProcessEnv = process.env): SlackMode {
  return resolveSlack(config, env).mode;
}

