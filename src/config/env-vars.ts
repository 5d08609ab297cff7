/**
 * Every environment variable ws-doctor reads, with what it does: the README's environment table is generated
 * from this list (`npm run docs`), and test/unit/env-vars.test.ts fails when the code reads a variable that is
 * not listed here, or this lists one nothing reads.
 */
export interface EnvVar {
  name: string;
  /** What it sets; for secrets, which config key it stands in for. */
  purpose: string;
  /** Value when unset. */
  unset: string;
  secret?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'SLACK_BOT_TOKEN', purpose: 'Bot User OAuth Token (`xoxb-…`); wins over `slack.botToken`.', unset: 'no Slack (console)', secret: true },
  { name: 'SLACK_APP_TOKEN', purpose: 'App-level token (`xapp-…`, `connections:write`): Socket Mode. Wins over `slack.appToken`.', unset: 'no Socket Mode', secret: true },
  { name: 'SLACK_SIGNING_SECRET', purpose: 'Signing secret: HTTP mode (requests are verified with it). Wins over `slack.signingSecret`.', unset: 'no HTTP mode', secret: true },
  { name: 'SLACK_API_URL', purpose: 'Slack Web API base URL (tests point it at the local stand-in). Wins over `slack.apiUrl`.', unset: '`https://slack.com/api/`' },
  { name: 'PORT', purpose: 'HTTP mode: port the bot listens on (digits only). Wins over `slack.port`.', unset: '`slack.port` (3000)' },
  { name: 'WS_DOCTOR_CONFIG', purpose: 'Path of the YAML config file (`--config` wins).', unset: 'built-in local-compose defaults' },
  {
    name: 'WS_DOCTOR_SERVICE_PASSWORD',
    purpose: "Probe user's password, for every environment; `WS_DOCTOR_<ENV>_SERVICE_PASSWORD` (e.g. `WS_DOCTOR_STAGING_SERVICE_PASSWORD`) wins for one. Stands in for `backend.serviceAccount.password`.",
    unset: 'token and handshake checks say how to set it',
    secret: true,
  },
  {
    name: 'WS_DOCTOR_REDIS_PASSWORD',
    purpose: 'Redis AUTH password, for every environment; `WS_DOCTOR_<ENV>_REDIS_PASSWORD` wins for one. Stands in for `redis.password`.',
    unset: 'no AUTH',
    secret: true,
  },
  {
    name: 'WS_DOCTOR_STATE_REDIS_PASSWORD',
    purpose: 'AUTH password of the shared state-store Redis (`state.store: redis`); never the watched Redis\'s.',
    unset: 'no AUTH',
    secret: true,
  },
  {
    name: 'WS_DOCTOR_ALERTMANAGER_TOKEN',
    purpose: 'Shared token an Alertmanager webhook must send (`Authorization: Bearer …`, basic-auth password or `?secret=`). Stands in for `alerts.alertmanager.token`.',
    unset: 'the webhook receiver does not start',
    secret: true,
  },
  { name: 'WS_DOCTOR_USER', purpose: 'Who the console and CLI user is for policy and audit (`local:<name>`).', unset: 'the login name' },
  { name: 'WS_DOCTOR_METRICS_PORT', purpose: 'Port of `/metrics`, `/healthz` and `/readyz` (digits; `0` = any free port). Wins over `telemetry.port`; the image\'s HEALTHCHECK reads it too.', unset: '9464 in Slack modes, off in the console' },
  { name: 'WS_DOCTOR_DEBUG', purpose: 'Any non-empty value prints the stack trace of an unexpected start-up error (people get the message only).', unset: 'message only' },
  { name: 'WS_DOCTOR_CHILD_REGISTRY', purpose: "An absolute directory where the demo's redis-server and Prometheus list their pids while they run (the test suite sets it, and its teardown stops any a test left behind).", unset: 'no list' },
  { name: 'LOG_LEVEL', purpose: "The bot's log level (pino: `trace`, `debug`, `info`, `warn`, `error`); Slack SDK lines follow it.", unset: '`info`' },
  { name: 'NO_COLOR', purpose: 'Any non-empty value turns terminal colours off (https://no-color.org).', unset: 'colour on a terminal' },
  { name: 'TERM', purpose: '`dumb` turns colours and the spinner off (editor shells, CI logs).', unset: 'as the terminal says' },
];

/** The `WS_DOCTOR_<NAME>` secrets that also exist per environment (`WS_DOCTOR_<ENV>_<NAME>`), see config/secrets.ts. */
export const PER_ENV_SECRETS = ['SERVICE_PASSWORD', 'REDIS_PASSWORD'] as const;

export function envVarsReference(): string {
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | ${v.purpose}${v.secret ? ' Secret: never logged or echoed.' : ''} | ${v.unset} |`);
  return ['| variable | what it does | when unset |', '|---|---|---|', ...rows].join('\n');
}
