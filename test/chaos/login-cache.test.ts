/**
 * Chaos area: the probe login kept in the state store between one-shot runs (core/login-cache.ts). It is a
 * secret and a shortcut: it must stay private, never reach output, and never turn into a wrong verdict — a kept
 * login that is corrupt, forged or signed with a key the server no longer has is dropped and replaced by one
 * fresh login, and a kept login never hides a broken stack. Whole processes against the real demo stack.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loginCacheKey } from '../../src/core/login-cache';
import { startDemoBackend, DEMO_SERVICE_ACCOUNT, type DemoBackend } from '../../src/demo/index';
import { JwtSigner } from '../../src/demo/jwt';
import { SQLITE_FILE, SqliteStore } from '../../src/state/sqlite-store';
import type { CachedLogin } from '../../src/targets/session';
import { runCli, type CliRun } from '../peers/cli-process';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { chaosRow, observe } from './row';

let tmp: string;
let redis: RedisProcess;
let backend: DemoBackend;
let configFile: string;
let stateFile: string;
let key: string;
const ENV = 'chaos';

interface Report {
  verdict: { overall: string; headline: string };
  findings: Array<{ check: string; status: string; evidence?: Record<string, unknown> }>;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-chaos-login-'));
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  configFile = path.join(tmp, 'ws-doctor.yml');
  const stateDir = path.join(tmp, 'state');
  stateFile = path.join(stateDir, SQLITE_FILE);
  fs.writeFileSync(
    configFile,
    YAML.stringify({
      defaultEnv: ENV,
      stateDir,
      environments: {
        [ENV]: {
          backend: { url: backend.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email } },
          redis: { url: redis.url },
          prometheus: { enabled: false },
          docker: { enabled: false },
        },
      },
    }),
  );
  key = loginCacheKey(ENV, backend.url, DEMO_SERVICE_ACCOUNT.email);
});

afterAll(async () => {
  await backend?.stop();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function status(): Promise<{ run: CliRun; report: Report | undefined }> {
  const run = await runCli(['status', '--json', '--config', configFile], { env: { WS_DOCTOR_SERVICE_PASSWORD: DEMO_SERVICE_ACCOUNT.password } });
  let report: Report | undefined;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    report = undefined;
  }
  return { run, report };
}

/** The kept login, read through the real store (a second process on the same file, as the bot would be). */
async function kept(): Promise<CachedLogin | undefined> {
  const store = new SqliteStore({ file: stateFile });
  try {
    return (await store.get<CachedLogin>(key))?.value;
  } finally {
    await store.close();
  }
}

async function plant(value: unknown): Promise<void> {
  const store = new SqliteStore({ file: stateFile });
  try {
    await store.put(key, value, { ttlMs: 600_000 });
  } finally {
    await store.close();
  }
}

const tokenEvidence = (r: Report | undefined) => r?.findings.find((f) => f.check === 'token-issuance')?.evidence ?? {};
const said = (r: Report | undefined) => `${r?.verdict.overall ?? 'no report'}; token-issuance loginCached=${String(tokenEvidence(r).loginCached)} relogin=${String(tokenEvidence(r).relogin)}`;
const leaks = (run: CliRun, secret: string | undefined) => secret !== undefined && secret.length > 0 && (run.stdout + run.stderr).includes(secret);

chaosRow('two one-shot status runs in a row', 'second reuses the kept login; store files 0600; JWT in no output', async () => {
  const first = await status();
  const second = await status();
  const login = await kept();
  // -wal and -shm exist only while a process has the store open (SQLite gives them the file's own mode).
  const modeOf = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
  const modes = [modeOf(stateFile), modeOf(path.dirname(stateFile))];
  const ok =
    first.report?.verdict.overall === 'ok' &&
    tokenEvidence(first.report).loginCached === false &&
    second.report?.verdict.overall === 'ok' &&
    tokenEvidence(second.report).loginCached === true &&
    login !== undefined &&
    modes[0] === '600' &&
    modes[1] === '700' &&
    !leaks(first.run, login.jwt) &&
    !leaks(second.run, login.jwt);
  return observe(`1st ${said(first.report)}; 2nd ${said(second.report)}; file ${modes[0]}, folder ${modes[1]}; JWT in output: ${leaks(second.run, login?.jwt)}`, ok);
}, 60_000);

chaosRow('kept login corrupt (not a JWT, wrong shape)', 'ignored: one fresh login, verdict ok, kept login replaced', async () => {
  await plant({ jwt: 'garbage; <!channel>', loggedInAt: 'x', validUntil: Date.now() + 600_000 });
  const r = await status();
  const login = await kept();
  const ok = r.report?.verdict.overall === 'ok' && tokenEvidence(r.report).loginCached === false && login?.jwt.split('.').length === 3 && !leaks(r.run, login.jwt);
  return observe(`${said(r.report)}; kept login now a JWT: ${login?.jwt.split('.').length === 3}`, ok);
}, 60_000);

chaosRow('kept login signed with a key the server no longer has (stale, key rotated)', 'refused (401) → dropped, one fresh login, verdict ok', async () => {
  const old = new JwtSigner().sign(1, 'access', 1);
  const now = Date.now();
  await plant({ jwt: old, loggedInAt: now - 1000, validUntil: now + 600_000 } satisfies CachedLogin);
  const r = await status();
  const login = await kept();
  const ok =
    r.report?.verdict.overall === 'ok' &&
    tokenEvidence(r.report).relogin === true &&
    login !== undefined &&
    login.jwt !== old &&
    !leaks(r.run, old) &&
    !leaks(r.run, login.jwt);
  return observe(`${said(r.report)}; stale JWT replaced: ${login !== undefined && login.jwt !== old}; in output: ${leaks(r.run, old)}`, ok);
}, 60_000);

chaosRow('kept login valid, then the database goes down', 'verdict Down: the database (the kept login hides nothing), exit 2', async () => {
  expect(await kept()).toBeDefined();
  backend.faults.set('db-down', true);
  try {
    const r = await status();
    const ok = r.run.code === 2 && r.report?.verdict.overall === 'down' && /database/i.test(r.report.verdict.headline);
    return observe(`exit ${r.run.code}; ${r.report?.verdict.overall}: ${r.report?.verdict.headline ?? r.run.stderr.slice(0, 200)}`, ok);
  } finally {
    backend.faults.set('db-down', false);
  }
}, 60_000);
