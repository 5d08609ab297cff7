/**
 * The command line as a person (or cron) runs it: real processes, real demo stack, exit codes and output.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT, type DemoBackend } from '../../src/demo/index';
import { startRedisServer, type RedisProcess } from '../peers/redis';

const ROOT = path.join(__dirname, '../..');
const TSX = require.resolve('tsx/cli');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ws-doctor <args>` with a clean Slack-less environment (so it never tries to reach Slack). */
function cli(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...opts.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, path.join(ROOT, 'src/cli.ts'), ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    const kill = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ws-doctor demo (npm run demo)', () => {
  it('--once on the healthy demo stack prints the verdict and exits 0', async () => {
    const r = await cli(['demo', '--once'], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^✅ Healthy: all \d+ checks pass/);
    expect(r.stdout).toMatch(/chat-handshake .*connected in \d+ ms, ping → pong, token refused on reuse/);
    expect(r.code).toBe(0);
  });

  it('--once with a fault names the cause and exits 2 (down)', async () => {
    const r = await cli(['demo', '--once', '--fault', 'db-down'], { cwd: tmp });
    expect(r.stdout).toMatch(/^🔴 Down: The database is down/);
    expect(r.code).toBe(2);
  });

  it('interactive: faults switched from the console change the diagnosis; typos get help', async () => {
    const input = ['status', 'fault redis-down on', 'status', 'stauts', 'fault nope on', 'heal', 'status', 'quit', ''].join('\n');
    const r = await cli(['demo'], { input, cwd: tmp });
    expect(r.code).toBe(0);
    const verdicts = r.stdout.match(/^(✅|⚠️|🔴|❔) .*$/gm) ?? [];
    expect(verdicts[0]).toMatch(/Healthy/);
    expect(verdicts[1]).toMatch(/Down: Redis is down/);
    expect(r.stdout).toContain('Unknown command stauts. Did you mean status?');
    expect(r.stdout).not.toMatch(/`|\/ws |\[share\]/);
    expect(r.stdout).toMatch(/usage: fault <name> on\|off/);
    expect(verdicts[verdicts.length - 1]).toMatch(/Healthy/);
  });
});

describe('ws-doctor against a configured stack', () => {
  let redis: RedisProcess;
  let backend: DemoBackend;
  let configFile: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
    configFile = path.join(tmp, 'ws-doctor.yml');
    fs.writeFileSync(
      configFile,
      [
        'defaultEnv: local',
        'environments:',
        '  local: {}',
        '  staging:',
        `    backend: { url: "${backend.url}", serviceAccount: { email: "${DEMO_SERVICE_ACCOUNT.email}" } }`,
        `    redis: { url: "${redis.url}" }`,
        '    prometheus: { enabled: false }',
        '    docker: { enabled: false }',
        `stateDir: ${JSON.stringify(path.join(tmp, 'state'))}`,
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await backend?.stop();
    await redis?.stop();
  });

  it('status --json --env staging reports the run, takes the password from the environment and leaks nothing', async () => {
    const r = await cli(['status', '--config', configFile, '--env', 'staging', '--json'], {
      env: { WS_DOCTOR_STAGING_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password },
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { env: string; verdict: { overall: string }; findings: Array<{ check: string; status: string }> };
    expect(report.env).toBe('staging');
    expect(report.verdict.overall).toBe('ok');
    expect(report.findings.find((f) => f.check === 'chat-handshake')?.status).toBe('ok');
    expect(r.stdout).not.toContain(DEMO_SERVICE_ACCOUNT.password);
  });

  it('history reads what the last run remembered (state directory, not the watched Redis)', async () => {
    const r = await cli(['history', 'chat-handshake', '--config', configFile, '--env', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/chat-handshake ✅/);
  });

  it('without the probe password the token checks say how to set it, and the verdict is not "healthy"', async () => {
    const r = await cli(['status', '--config', configFile, '--env', 'staging']);
    expect(r.stdout).toMatch(/WS_DOCTOR_STAGING_SERVICE_PASSWORD/);
    expect(r.code).toBe(1);
  });

  it('config explain masks secrets and names their source', async () => {
    const r = await cli(['config', 'explain', '--config', configFile, '--env', 'staging'], {
      env: { WS_DOCTOR_STAGING_SERVICE_PASSWORD: 'super-secret-pw', SLACK_BOT_TOKEN: 'xoxb-111-222-abcdefghijkl' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/super-secret-pw|xoxb-111/);
    expect(r.stdout).toContain('env WS_DOCTOR_STAGING_SERVICE_PASSWORD');
    expect(r.stdout).toContain('botToken: env SLACK_BOT_TOKEN');
  });

  it('a bad config file fails at start listing every problem, exit 3', async () => {
    const bad = path.join(tmp, 'bad.yml');
    fs.writeFileSync(bad, 'environments:\n  local:\n    redis: { dbs: { cache: 99 } }\n    backend: { urll: x }\n');
    const r = await cli(['status', '--config', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('environments.local.redis.dbs.cache: Too big: expected number to be <=15, found 99');
    expect(r.stderr).toContain('environments.local.backend: unknown key "urll"');
  });

  it('check <name> exits with its verdict, as status does: 0 healthy, 2 down, 1 unknown', async () => {
    const pw = { WS_DOCTOR_STAGING_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password };
    const healthy = await cli(['check', 'chat-handshake', '--config', configFile, '--env', 'staging'], { env: pw });
    expect(healthy.stdout).toMatch(/chat-handshake .*connected in \d+ ms/);
    expect(healthy.code).toBe(0);

    backend.faults.set('token-500', true);
    try {
      const down = await cli(['check', 'chat-handshake', '--config', configFile, '--env', 'staging'], { env: pw });
      expect(down.stdout).toMatch(/^🔴 Down: /);
      expect(down.stdout).toMatch(/token-issuance .*500/);
      expect(down.code).toBe(2);
    } finally {
      backend.faults.set('token-500', false);
    }

    // No probe password: the check could not run, which is never "healthy".
    const unknown = await cli(['check', 'token-issuance', '--config', configFile, '--env', 'staging']);
    expect(unknown.stdout).toMatch(/WS_DOCTOR_STAGING_SERVICE_PASSWORD/);
    expect(unknown.code).toBe(1);
  });

  it('why <symptom> exits with its verdict too: 0 when none of its causes is present, 2 when one is, 3 for an unknown symptom', async () => {
    const pw = { WS_DOCTOR_STAGING_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password };
    const healthy = await cli(['why', 'offline', '--config', configFile, '--env', 'staging'], { env: pw });
    expect(healthy.stdout).toMatch(/None of its causes is present/);
    expect(healthy.code).toBe(0);
    backend.faults.set('token-500', true);
    try {
      const down = await cli(['why', 'offline', '--config', configFile, '--env', 'staging'], { env: pw });
      expect(down.stdout).toMatch(/Cause found/);
      expect(down.code).toBe(2);
    } finally {
      backend.faults.set('token-500', false);
    }
    const unknown = await cli(['why', 'frobnicated', '--config', configFile, '--env', 'staging'], { env: pw });
    expect(unknown.code).toBe(3);
  });

  it('an unknown check name is a usage error with the known names', async () => {
    const r = await cli(['check', 'redsi', '--config', configFile, '--env', 'staging']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('No check named redsi. Did you mean redis?');
  });

  it('an unknown command gets "unknown command", a suggestion and the help, exit 3 (not "too many arguments for start")', async () => {
    const typo = await cli(['stauts']);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("unknown command 'stauts' (did you mean 'status'?)");
    expect(typo.stderr).toMatch(/Usage: ws-doctor[\s\S]*Commands:/);
    expect(typo.stderr).not.toMatch(/too many arguments/);
    const nonsense = await cli(['--config', configFile, 'frobnicate']);
    expect(nonsense.code).toBe(3);
    expect(nonsense.stderr).toContain("unknown command 'frobnicate'");
    expect(nonsense.stderr).not.toContain('did you mean');
  });
});
