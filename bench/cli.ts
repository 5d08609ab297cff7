/**
 * The one-shot CLI as whole processes — what cron, CI and a person at a terminal actually run — against the
 * demo stack (its own process), paired run by run with the guide's diagnostics script on the same stack:
 *
 * - `ws-doctor status` (`node dist/cli.js`, the package's bin) vs `bench/guide-diagnostics.sh`, interleaved pair by
 *   pair (with a bare `node -e 0` in each pair: the floor any Node CLI pays) so all see the same machine load;
 *   the ratio is the median of the per-pair ratios. Target: ≤ 0.5×. Measured as cron on the bot's host runs
 *   it — the bot running with the same config answers over its socket (cli-socket/), a fresh run; every
 *   delegated run is checked to have been answered by the bot — and, in the same rounds, `--standalone` (the
 *   checks in the CLI's own process, as where no bot runs). Also reported: hyperfine's own median and
 *   CPU for both (not paired), the same run in-process (`Doctor.status`, no start-up), and through
 *   `tsx src/cli.ts` (what `npm start` runs).
 * - `ws-doctor --help` (built JS): target ≤ 150 ms; baseline a bare `node -e 0` start.
 *
 * The bin is the esbuild bundle behind its code-cache loader (scripts/bundle.js, run here when it is missing or
 * older than src/).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { locateSocket } from '../src/cli-socket/fingerprint';
import { DEMO_SERVICE_ACCOUNT } from '../src/demo/users';
import { freePort } from '../src/util/net';
import { Doctor } from '../src/core/doctor';
import { benchConfig, startStackProcess } from './stack';
import { median, type BenchResult } from './types';

const ROOT = path.join(__dirname, '..');
const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');
const TSX = require.resolve('tsx/cli');
const PAIRS = 15;

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const BUNDLE = path.join(ROOT, 'dist', 'ws-doctor.core.js');

function ensureBuilt(): void {
  if (fs.existsSync(DIST_CLI) && fs.existsSync(BUNDLE) && fs.statSync(BUNDLE).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return;
  process.stderr.write('building the bin (scripts/bundle.js)…\n');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle.js')], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The environment every timed command gets, as cron gives one — also to hyperfine: a development shell's
 * NODE_EXTRA_CA_CERTS (set on this machine) makes every Node start read and parse a CA bundle, ~35 ms more for
 * each side, and the two figures stopped being comparable with the paired ones.
 */
const CLEAN_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };

function timed(cmd: string, args: string[], okCodes: number[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: CLEAN_ENV });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
  return ms;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** hyperfine's own figures for one command (whole process, its own runs, not paired): median and CPU. */
function hyperfine(cmd: string, runs: number, dir: string): { medianMs: number; userMs: number; systemMs: number } {
  const out = path.join(dir, `hyperfine-${Date.now()}.json`);
  execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '-i', '--export-json', out, cmd], { stdio: ['ignore', 'ignore', 'inherit'], env: CLEAN_ENV });
  const r = (JSON.parse(fs.readFileSync(out, 'utf8')) as { results: Array<{ median: number; user: number; system: number }> }).results[0];
  if (!r) throw new Error(`hyperfine gave no result for ${cmd}`);
  return { medianMs: round(r.median * 1000), userMs: round(r.user * 1000), systemMs: round(r.system * 1000) };
}

/**
 * The config a user writes (only what differs from the defaults), not benchConfig()'s full dump: every default
 * spelled out would make the CLI validate ten times the YAML a real config has. A state dir of its own: the kept
 * probe login (core/login-cache.ts) is what cron's second and later runs get — the script's person, too, is
 * logged in already (the JWT file).
 */
function userConfig(stack: { url: string; redisUrl: string }, stateDir: string): string {
  return YAML.stringify({
    defaultEnv: 'bench',
    stateDir,
    environments: {
      bench: {
        backend: { url: stack.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password } },
        redis: { url: stack.redisUrl },
        prometheus: { enabled: false },
        docker: { enabled: false },
      },
    },
  });
}

export async function benchCliStatus(): Promise<BenchResult> {
  ensureBuilt();
  const stack = await startStackProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bench-cli-'));
  const doctor = Doctor.create(benchConfig(stack), { stateDir: null });
  try {
    const configFile = path.join(dir, 'bench.yml');
    fs.writeFileSync(configFile, userConfig(stack, path.join(dir, 'state')));
    const login = spawnSync(
      'curl',
      ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }), `${stack.url}/api/v1/auth/login/`],
      { encoding: 'utf8' },
    );
    const jwt = /access_token=([^;\s]+)/.exec(login.stdout)?.[1];
    if (!jwt) throw new Error('bench login failed: no access_token cookie');
    const jar = path.join(dir, 'jwt');
    fs.writeFileSync(jar, jwt);
    const scriptArgs = [path.join(__dirname, 'guide-diagnostics.sh'), stack.url, stack.wsUrl, stack.redisUrl, jar, path.join(__dirname, 'ws-probe.js')];
    const script = () => timed('bash', scriptArgs, [0]);
    const standalone = () => timed(process.execPath, [DIST_CLI, 'status', '--config', configFile, '--standalone'], [0]);
    const ours = () => timed(process.execPath, [DIST_CLI, 'status', '--config', configFile], [0]);
    const bare = () => timed(process.execPath, ['-e', '0'], [0]);
    const viaTsx = () => timed(process.execPath, [TSX, path.join(ROOT, 'src/cli.ts'), 'status', '--config', configFile], [0]);
    const inProcess = async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await doctor.status('bench');
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    // The bot as it runs next to cron: `ws-doctor start` with the same config (console mode here, no Slack; the
    // socket is the same in every mode), its metrics on a port of its own to count what it answered.
    const bot = await startBot(configFile);
    for (let i = 0; i < 2; i++) (ours(), standalone(), script(), viaTsx(), await inProcess());
    const o: number[] = [];
    const alone: number[] = [];
    const b: number[] = [];
    const n: number[] = [];
    const ratios: number[] = [];
    const aloneRatios: number[] = [];
    const floor: number[] = [];
    const answeredBefore = await bot.answered();
    // Paired run by run (ours with the bot running, ours alone, the script, a bare node start), so all four see
    // the same machine load.
    for (let i = 0; i < PAIRS; i++) {
      const x = ours();
      const a = standalone();
      const y = script();
      const z = bare();
      o.push(x);
      alone.push(a);
      b.push(y);
      n.push(z);
      ratios.push(x / y);
      aloneRatios.push(a / y);
      floor.push(z / y);
    }
    const answered = (await bot.answered()) - answeredBefore;
    const hfDelegated = hyperfine(`${process.execPath} ${DIST_CLI} status --config ${configFile}`, 15, dir);
    await bot.stop();
    // A run the bot did not answer ran alone: the figure would not be what it says.
    if (answered !== PAIRS) throw new Error(`the bot answered ${answered} of ${PAIRS} delegated runs`);
    const tsxRuns = Array.from({ length: 5 }, viaTsx);
    const inProc: number[] = [];
    for (let i = 0; i < 10; i++) inProc.push(await inProcess());
    const hfOurs = hyperfine(`${process.execPath} ${DIST_CLI} status --config ${configFile} --standalone`, 15, dir);
    const hfScript = hyperfine(`bash ${scriptArgs.join(' ')}`, 15, dir);
    const ratio = median(ratios);
    return {
      name: 'CLI status (whole process) vs guide script',
      ours: {
        medianMs: round(median(o)),
        extra: {
          pairs: PAIRS,
          answeredByTheBot: answered,
          hyperfineDelegatedMedianMs: hfDelegated.medianMs,
          hyperfineDelegatedCpuMs: round(hfDelegated.userMs + hfDelegated.systemMs),
          standaloneMedianMs: round(median(alone)),
          standaloneRatio: round(median(aloneRatios), 3),
          inProcessMedianMs: round(median(inProc)),
          nodeStartMedianMs: round(median(n)),
          nodeStartRatio: round(median(floor), 3),
          hyperfineStandaloneMedianMs: hfOurs.medianMs,
          hyperfineStandaloneCpuMs: round(hfOurs.userMs + hfOurs.systemMs),
          hyperfineScriptMedianMs: hfScript.medianMs,
          hyperfineScriptCpuMs: round(hfScript.userMs + hfScript.systemMs),
          tsxMedianMs: round(median(tsxRuns)),
        },
      },
      baseline: { medianMs: round(median(b)), command: 'bench/guide-diagnostics.sh, paired run by run' },
      ratio: round(ratio, 3),
      target: 'median per-pair ratio ≤ 0.5 (node dist/cli.js status, a bot with the same config running; --standalone reported)',
      pass: ratio <= 0.5,
    };
  } finally {
    await doctor.close();
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `ws-doctor start` (the bin) with this config, until its CLI socket is up; stopped by pid. */
async function startBot(configFile: string): Promise<{ answered(): Promise<number>; stop(): Promise<void> }> {
  const port = await freePort();
  const env = CLEAN_ENV;
  // stdin stays open: the console runs until told to stop.
  const child = spawn(process.execPath, [DIST_CLI, 'start', '--config', configFile, '--metrics-port', String(port)], { env, stdio: ['pipe', 'ignore', 'inherit'] });
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const up = Date.now() + 30_000;
  const serving = (): boolean => {
    const place = locateSocket(configFile, env); // the folder's key exists once a bot has started
    return place.ok && fs.existsSync(place.file);
  };
  while (!(serving() && (await fetch(metricsUrl).then((r) => r.ok, () => false)))) {
    if (child.exitCode !== null || Date.now() > up) throw new Error('the bot did not open its CLI socket within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    answered: async () => {
      const text = await (await fetch(metricsUrl)).text();
      return Number(/^ws_doctor_cli_socket_asks_total\{outcome="answered"\} (\d+)/m.exec(text)?.[1] ?? 0);
    },
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await gone;
    },
  };
}

export async function benchCliHelp(): Promise<BenchResult> {
  ensureBuilt();
  const runs = 15;
  const help: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    help.push(timed(process.execPath, [DIST_CLI, '--help'], [0]));
    bare.push(timed(process.execPath, ['-e', '0'], [0]));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bench-help-'));
  let hf: { medianMs: number; userMs: number; systemMs: number };
  try {
    hf = hyperfine(`${process.execPath} ${DIST_CLI} --help`, 20, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const h = median(help);
  return {
    name: 'CLI --help (whole process)',
    ours: { medianMs: round(h), extra: { runs, hyperfineMedianMs: hf.medianMs, hyperfineCpuMs: round(hf.userMs + hf.systemMs) } },
    baseline: { medianMs: round(median(bare)), command: 'node -e 0 (bare Node start)' },
    ratio: round(h / median(bare), 2),
    target: 'median ≤ 150 ms',
    pass: h <= 150,
  };
}
