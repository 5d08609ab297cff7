/**
 * Chaos area: hostile or broken configuration. Every failure is the named-key message (ConfigError, exit 3),
 * never a stack trace; input is bounded (file size, YAML aliases); every URL key takes only its own schemes.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load';
import { explainConfig } from '../../src/config/explain';
import { runCli } from '../peers/cli-process';
import { chaosRow, observe } from './row';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-chaos-config-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

/** What loading `f` did: the ConfigError's problems, or what else it threw, or 'accepted'. */
function tryLoad(load: () => unknown): { kind: 'config-error' | 'other-error' | 'accepted'; text: string } {
  try {
    load();
    return { kind: 'accepted', text: 'accepted' };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'config-error', text: err.problems.join('; ') };
    return { kind: 'other-error', text: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

chaosRow('50 MB YAML config file', 'refused at once, named (size), bounded memory', async () => {
  const f = path.join(tmp, 'huge.yml');
  const line = `# ${'x'.repeat(1022)}\n`;
  const fd = fs.openSync(f, 'w');
  for (let i = 0; i < 50 * 1024; i++) fs.writeSync(fd, line);
  fs.closeSync(fd);
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  const r = tryLoad(() => loadConfig({ path: f, env: {} }));
  const ms = Date.now() - t0;
  const grown = Math.round((process.memoryUsage().rss - rss0) / 1e6);
  return observe(`${r.kind} in ${ms} ms, RSS +${grown} MB: ${r.text.slice(0, 80)}`, r.kind === 'config-error' && /MB/.test(r.text) && ms < 2000);
});

chaosRow('YAML alias bomb (9 levels × 10)', 'ConfigError naming the aliases, no ReferenceError', async () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  const r = tryLoad(() => loadConfig({ path: file('bomb.yml', levels.join('\n') + '\n'), env: {} }));
  return observe(`${r.kind}: ${r.text.slice(0, 90)}`, r.kind === 'config-error' && /alias/i.test(r.text));
});

chaosRow('URL keys with foreign schemes (javascript:, file:, data:, gopher:)', 'each refused, naming its key', async () => {
  const cases: Array<[string, unknown]> = [
    ['environments.local.prometheus.url', { environments: { local: { prometheus: { url: 'javascript:alert(1)' } } } }],
    ['environments.local.backend.url', { environments: { local: { backend: { url: 'file:///etc/passwd' } } } }],
    ['environments.local.backend.wsUrl', { environments: { local: { backend: { wsUrl: 'data:text/html,<script>' } } } }],
    ['environments.local.redis.url', { environments: { local: { redis: { url: 'gopher://127.0.0.1:6379/_FLUSHALL' } } } }],
    ['slack.apiUrl', { slack: { apiUrl: 'javascript:alert(1)' } }],
  ];
  const missed: string[] = [];
  for (const [key, raw] of cases) {
    const r = tryLoad(() => parseConfig(raw));
    if (r.kind !== 'config-error' || !r.text.startsWith(key)) missed.push(`${key} → ${r.kind} ${r.text.slice(0, 60)}`);
  }
  return observe(missed.length ? missed.join(' | ') : `${cases.length}/${cases.length} refused with their key`, missed.length === 0);
});

chaosRow('CLI: alias bomb and a non-xoxb SLACK_BOT_TOKEN', 'exit 3, named message, no stack trace', async () => {
  const bomb = file('bomb-cli.yml', 'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n');
  const a = await runCli(['status', '--config', bomb], { killAfterMs: 30_000 });
  const b = await runCli(['start'], { env: { SLACK_BOT_TOKEN: 'not-a-bot-token', SLACK_APP_TOKEN: 'xapp-1-x' }, killAfterMs: 30_000 });
  const stack = (s: string) => /\n\s+at /.test(s);
  const ok = a.code === 3 && /alias/i.test(a.stderr) && !stack(a.stderr) && b.code === 3 && /SLACK_BOT_TOKEN/.test(b.stderr) && !stack(b.stderr);
  return observe(`bomb: exit ${a.code}${stack(a.stderr) ? ' + stack' : ''}; slack: exit ${b.code}${stack(b.stderr) ? ' + stack' : ''} "${b.stderr.split('\n').slice(0, 2).join(' ').slice(0, 60)}"`, ok);
}, 60_000);

chaosRow('fuzzed config values (fast-check, 300 random documents)', 'only ConfigError, never another exception', async () => {
  const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.webUrl(), fc.constant('javascript:alert(1)'));
  const leaf = fc.dictionary(fc.constantFrom('url', 'wsUrl', 'timeoutMs', 'enabled', 'password', 'deadlineMs', 'job', 'mode', 'port', 'x'), value);
  const doc = fc.record({
    defaultEnv: fc.oneof(fc.constant('local'), fc.string()),
    environments: fc.dictionary(fc.constantFrom('local', 'staging', '__proto__', 'constructor'), fc.dictionary(fc.constantFrom('backend', 'redis', 'prometheus', 'docker', 'checks', 'oops'), leaf)),
    slack: leaf,
  }, { requiredKeys: [] });
  const others: string[] = [];
  fc.assert(
    fc.property(doc, (raw) => {
      const r = tryLoad(() => parseConfig(raw));
      if (r.kind === 'other-error') others.push(r.text);
      return r.kind !== 'other-error';
    }),
    { numRuns: 300 },
  );
  return observe(others.length ? `other error: ${others[0]}` : '300 documents: accepted or ConfigError', others.length === 0);
});

chaosRow('config explain', 'paths.wsToken shown (a path, not a secret); passwords masked', async () => {
  const out = explainConfig(parseConfig({ environments: { local: { backend: { serviceAccount: { password: 'planted-Secret-9x' } } } } }), { source: 'test' });
  const shown = /wsToken: \/api\/v1\/auth\/ws-connection-token\//.test(out);
  const leaked = out.includes('planted-Secret-9x');
  return observe(`wsToken shown: ${shown}; password leaked: ${leaked}`, shown && !leaked);
});
