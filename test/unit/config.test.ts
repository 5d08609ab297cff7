import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load';
import { explainConfig } from '../../src/config/explain';
import { envSecret } from '../../src/config/secrets';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const tmp = (name: string, text: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-config-'));
  dirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

/** The ConfigError a load or parse throws (fails the test when nothing is thrown). */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

describe('config', () => {
  it('defaults describe the AllThrive local compose stack (target-system §2, §4, §6)', () => {
    const cfg = loadConfig({ env: {} });
    const local = cfg.environments.local!;
    expect(cfg.defaultEnv).toBe('local');
    expect(local.backend.url).toBe('http://localhost:8000');
    expect(local.backend.paths.wsToken).toBe('/api/v1/auth/ws-connection-token/');
    expect(local.backend.paths.login).toBe('/api/v1/auth/login/');
    expect(local.redis.dbs).toEqual({ broker: 0, cache: 2, cacheFallback: 4, channelLayer: 3 });
    expect(local.redis.cacheKeyPrefix).toBe('allthrive:1:');
    expect(local.redis.channelLayerPrefix).toBe('asgi');
    expect(local.metrics.paths).toEqual(['/metricsmetrics', '/metrics']);
    expect(local.prometheus.url).toBe('http://localhost:9090');
    expect(local.checks.deadlineMs).toBe(5000);
  });

  it('loads several environments from one YAML file, each filled with defaults', () => {
    const file = tmp('c.yml', 'defaultEnv: staging\nenvironments:\n  local: {}\n  staging:\n    backend:\n      url: https://staging.example.com\n');
    const cfg = loadConfig({ path: file, env: {} });
    expect(Object.keys(cfg.environments)).toEqual(['local', 'staging']);
    expect(cfg.environments.staging!.backend.url).toBe('https://staging.example.com');
    expect(cfg.environments.staging!.redis.dbs.cache).toBe(2);
  });

  it('lists every problem of a bad file with key path, expectation and what was found', () => {
    const file = tmp(
      'bad.yml',
      'defaultEnv: prod\nenvironments:\n  local:\n    backend: { url: nope, bogus: 1 }\n    redis: { dbs: { cache: two } }\nslack: { mode: websocket }\n',
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const problems = err.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\.local\.backend\.url: .*found "nope"/),
        expect.stringMatching(/^environments\.local\.backend: unknown key "bogus"/),
        expect.stringMatching(/^environments\.local\.redis\.dbs\.cache: expected number, found "two"/),
        expect.stringMatching(/^slack\.mode: expected one of "auto", "socket", "http", "off", found "websocket"/),
        expect.stringMatching(/^defaultEnv: names no environment; expected one of: local, found "prod"/),
      ]),
    );
    expect(err.message).toContain(file);
  });

  it('never echoes a secret it rejects', () => {
    const file = tmp(
      'secret.yml',
      'environments:\n  local:\n    backend: { serviceAccount: { password: 918273645 } }\n    redis: { url: "http://:hunter2pw@redis:6379" }\nslack: { botToken: 123456789 }\n',
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const message = err.message;
    expect(message).toMatch(/serviceAccount\.password: expected string, found \[REDACTED\]/);
    expect(message).toMatch(/redis\.url: .*found "http:\/\/:\[REDACTED\]@redis:6379"/);
    expect(message).not.toMatch(/918273645|hunter2pw|123456789/);
  });

  it('refuses credentials in backend.url at start, without echoing them', () => {
    const message = configError(() => parseConfig({ environments: { local: { backend: { url: 'http://u:s3cret@host:8000' } } } })).message;
    expect(message).toContain('environments.local.backend.url: must not contain user:password@');
    expect(message).not.toContain('s3cret');
  });

  it('reports YAML syntax errors and unreadable files by name', () => {
    expect(() => loadConfig({ path: tmp('syntax.yml', 'environments: [oops\n'), env: {} })).toThrow(/YAML syntax/);
    expect(() => loadConfig({ path: '/nonexistent/ws-doctor.yml', env: {} })).toThrow(/cannot read the file: ENOENT/);
  });

  it('takes Slack secrets from the environment over the file', () => {
    const cfg = loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-from-env-123456', SLACK_APP_TOKEN: 'xapp-1-from-env-123456' } });
    expect(cfg.slack.botToken).toBe('xoxb-from-env-123456');
    expect(cfg.slack.appToken).toBe('xapp-1-from-env-123456');
  });

  it('resolves per-environment secrets before global ones', () => {
    expect(envSecret('staging-eu', 'SERVICE_PASSWORD', { WS_DOCTOR_SERVICE_PASSWORD: 'g', WS_DOCTOR_STAGING_EU_SERVICE_PASSWORD: 's' })).toBe('s');
    expect(envSecret('local', 'SERVICE_PASSWORD', { WS_DOCTOR_SERVICE_PASSWORD: 'g' })).toBe('g');
    expect(envSecret('local', 'SERVICE_PASSWORD', {})).toBeUndefined();
  });

  it('config explain masks secrets and says where they come from', () => {
    const cfg = parseConfig({ environments: { local: { backend: { serviceAccount: { password: 'hunter2-secret' } } } }, slack: { botToken: 'xoxb-abcdefgh12345' } });
    const text = explainConfig(cfg, { source: 'test.yml', processEnv: { WS_DOCTOR_LOCAL_REDIS_PASSWORD: 'r3dis' } });
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('xoxb-abcdefgh12345');
    expect(text).not.toContain('r3dis');
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('env WS_DOCTOR_LOCAL_REDIS_PASSWORD');
    expect(text).toMatch(/backend\.serviceAccount\.password: config file/);
    expect(text).toContain('url: http://localhost:8000');
  });
});
