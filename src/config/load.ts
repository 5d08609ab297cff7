/**
 * Loads the YAML config (path from --config or WS_DOCTOR_CONFIG; none = built-in local-compose defaults),
 * validates it with zod, and applies secrets from the environment. A bad file fails at start with every
 * problem listed: key path, what was expected, what was found.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';
import { redact } from '../telemetry/redact';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A ws-doctor config is a few KB; anything this large is a mistake (or an attack) and is refused unread. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML aliases are handy for shared blocks; a few hundred is plenty, thousands is an alias bomb. */
export const MAX_YAML_ALIASES = 200;

export interface LoadOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.path ?? env.WS_DOCTOR_CONFIG;
  let raw: unknown = {};
  let source = 'built-in defaults';
  if (path) {
    source = path;
    raw = parseYamlFile(path);
  }
  return parseConfig(applySlackEnv(raw, env), source);
}

/** Reads and parses the YAML file, bounded in size and aliases; every failure is a ConfigError naming the file. */
function parseYamlFile(path: string): unknown {
  let text: string;
  try {
    const size = fs.statSync(path).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [`the file is ${(size / 1024 / 1024).toFixed(1)} MB; a ws-doctor config is at most ${MAX_CONFIG_BYTES / 1024 / 1024} MB`]);
    }
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(path, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(path, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (err) {
    // The yaml library throws a ReferenceError for an alias bomb (and for an alias to nothing).
    const msg = (err as Error).message.split('\n')[0] ?? '';
    throw new ConfigError(path, [/alias count/i.test(msg) ? `YAML: too many aliases (more than ${MAX_YAML_ALIASES} expansions; an alias bomb?)` : `YAML: ${msg}`]);
  }
}

export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => describeIssue(i, raw));
    // zod skips refinements while other keys are invalid; list this one anyway so one run shows every problem.
    const envProblem = defaultEnvProblem(raw);
    if (envProblem && !problems.some((p) => p.startsWith('defaultEnv:'))) problems.push(envProblem);
    throw new ConfigError(source, problems);
  }
  return result.data;
}

function defaultEnvProblem(raw: unknown): string | undefined {
  const def = valueAt(raw, ['defaultEnv']);
  const envs = valueAt(raw, ['environments']);
  if (typeof def !== 'string' || !envs || typeof envs !== 'object') return undefined;
  const names = Object.keys(envs);
  return names.includes(def) ? undefined : `defaultEnv: names no environment; expected one of: ${names.join(', ')}, found "${def}"`;
}

/** Slack credentials are secrets: the standard SLACK_* variables win over the file. */
function applySlackEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const obj = raw as Record<string, unknown>;
  const slackRaw = obj.slack;
  const slack: Record<string, unknown> = slackRaw && typeof slackRaw === 'object' && !Array.isArray(slackRaw) ? { ...(slackRaw as object) } : {};
  const fromEnv: Array<[string, string | undefined]> = [
    ['botToken', env.SLACK_BOT_TOKEN],
    ['signingSecret', env.SLACK_SIGNING_SECRET],
    ['appToken', env.SLACK_APP_TOKEN],
  ];
  for (const [k, v] of fromEnv) if (v) slack[k] = v;
  if (env.SLACK_API_URL) slack.apiUrl = env.SLACK_API_URL;
  if (env.PORT && /^\d+$/.test(env.PORT)) slack.port = Number(env.PORT);
  const withSlack = slackRaw === undefined && Object.keys(slack).length === 0 ? obj : { ...obj, slack };
  return applyTelemetryEnv(withSlack, env);
}

/** `WS_DOCTOR_METRICS_PORT` (a port number) wins over `telemetry.port` in the file. */
function applyTelemetryEnv(obj: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const port = env.WS_DOCTOR_METRICS_PORT;
  if (port === undefined || port === '') return obj;
  const t = obj.telemetry && typeof obj.telemetry === 'object' && !Array.isArray(obj.telemetry) ? (obj.telemetry as object) : {};
  // A non-number is passed through as text so the schema names the key and what it expected.
  return { ...obj, telemetry: { ...t, port: /^\d+$/.test(port) ? Number(port) : port } };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  const found = valueAt(raw, issue.path);
  // A wrongly typed secret (`password: 123456` is a YAML number) must not be echoed to stderr or a log.
  const last = issue.path[issue.path.length - 1];
  const secretKey = typeof last === 'string' && /(password|secret|token)$/i.test(last);
  const foundText = found === undefined ? 'nothing' : secretKey ? '[REDACTED]' : redact(JSON.stringify(found));
  let expected = issue.message;
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see the README's configuration reference)`;
  }
  if (issue.code === 'invalid_type') expected = `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') expected = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${path}: ${expected}, found ${foundText}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
