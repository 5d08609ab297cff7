/**
 * `ws-doctor config explain`: the effective configuration as YAML, secrets masked, with where each secret
 * comes from — so a person can see exactly what the bot will do without seeing what it must keep.
 */
import YAML from 'yaml';
import { redactDeep } from '../telemetry/redact';
import type { Config } from './schema';
import { envSecret } from './secrets';

export function explainConfig(config: Config, opts: { env?: string; source: string; processEnv?: NodeJS.ProcessEnv } = { source: 'built-in defaults' }): string {
  const penv = opts.processEnv ?? process.env;
  const envs = opts.env ? { [opts.env]: config.environments[opts.env] } : config.environments;
  const secretsFrom: Record<string, Record<string, string>> = {};
  for (const name of Object.keys(envs)) {
    const e = config.environments[name];
    if (!e) continue;
    secretsFrom[name] = {
      'backend.serviceAccount.password': e.backend.serviceAccount.password !== undefined ? 'config file' : sourceOf(name, 'SERVICE_PASSWORD', penv),
      'redis.password': e.redis.password !== undefined ? 'config file' : sourceOf(name, 'REDIS_PASSWORD', penv),
    };
  }
  const view = redactDeep({ ...config, environments: envs });
  // `paths.wsToken` is the token endpoint's path, not a token: redactDeep masks it by its name, so put it back.
  for (const [name, e] of Object.entries(envs)) {
    const shown = view.environments[name];
    if (e && shown) shown.backend.paths = e.backend.paths;
  }
  const slackSecrets = {
    botToken: config.slack.botToken ? (penv.SLACK_BOT_TOKEN ? 'env SLACK_BOT_TOKEN' : 'config file') : 'not set',
    signingSecret: config.slack.signingSecret ? (penv.SLACK_SIGNING_SECRET ? 'env SLACK_SIGNING_SECRET' : 'config file') : 'not set',
    appToken: config.slack.appToken ? (penv.SLACK_APP_TOKEN ? 'env SLACK_APP_TOKEN' : 'config file') : 'not set',
  };
  return [
    `# Effective ws-doctor configuration (source: ${opts.source}); secrets are masked.`,
    YAML.stringify(view).trimEnd(),
    '# Where secrets come from:',
    YAML.stringify({ environments: secretsFrom, slack: slackSecrets }).trimEnd(),
  ].join('\n');
}

function sourceOf(envName: string, name: string, penv: NodeJS.ProcessEnv): string {
  const scoped = `WS_DOCTOR_${envName.toUpperCase().replace(/-/g, '_')}_${name}`;
  if (penv[scoped]) return `env ${scoped}`;
  if (envSecret(envName, name, penv) !== undefined) return `env WS_DOCTOR_${name}`;
  return 'not set';
}
