/**
 * The one-shot CLI as whole processes — what cron, CI and a person at a terminal actually run — against the
 * demo stack (its own process), paired run by run with the guide's diagnostics script on the same stack:
 *
 * - `ws-doctor status` (`node dist/cli.js`, the package's bin) vs `bench/guide-diagnostics.sh`, interleaved pair by
 *   pair (with a bare `node -e 0` in each pair: the floor any Node CLI pays) so all see the same machine load;
 *   the ratio is the median of the per-pair ratios. Target: ≤ 0.5×. Also reported: hyperfine's own median and
 *   CPU for both (not paired), the same run in-process (`Doctor.status`, no start-up), and through
 *   `tsx src/cli.ts` (what `npm start` runs).
 * - `ws-doctor --help` (built JS): target ≤ 150 ms; baseline a bare `node -e 0` start.
 *
 * The bin is the esbuild bundle behind its code-cache loader (scripts/bundle.js, run here when it is missing or
 * older than src/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { DEMO_SERVICE_ACCOUNT } from '../src/demo/users';
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

function timed(cmd: string, args: string[], okCodes: number[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
  return ms;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** hyperfine's own figures for one command (whole process, its own runs, not paired): median and CPU. */
function hyperfine(cmd: string, runs: number, dir: string): { medianMs: number; userMs: number; systemMs: number } {
  const out = path.join(dir, `hyperfine-${Date.now()}.json`);
  execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '-i', '--export-json', out, cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
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
    const ours = () => timed(process.execPath, [DIST_CLI, 'status', '--config', configFile], [0]);
    const bare = () => timed(process.execPath, ['-e', '0'], [0]);
    const viaTsx = () => timed(process.execPath, [TSX, path.join(ROOT, 'src/cli.ts'), 'status', '--config', configFile], [0]);
    const inProcess = async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await doctor.status('bench');
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    for (let i = 0; i < 2; i++) (ours(), script(), viaTsx(), await inProcess());
    const o: number[] = [];
    const b: number[] = [];
    const n: number[] = [];
    const ratios: number[] = [];
    const floor: number[] = [];
    // Paired run by run (ours, the script, a bare node start), so all three see the same machine load.
    for (let i = 0; i < PAIRS; i++) {
      const x = ours();
      const y = script();
      const z = bare();
      o.push(x);
      b.push(y);
      n.push(z);
      ratios.push(x / y);
      floor.push(z / y);
    }
    const tsxRuns = Array.from({ length: 5 }, viaTsx);
    const inProc: number[] = [];
    for (let i = 0; i < 10; i++) inProc.push(await inProcess());
    const hfOurs = hyperfine(`${process.execPath} ${DIST_CLI} status --config ${configFile}`, 15, dir);
    const hfScript = hyperfine(`bash ${scriptArgs.join(' ')}`, 15, dir);
    const ratio = median(ratios);
    return {
      name: 'CLI status (whole process) vs guide script',
      ours: {
        medianMs: round(median(o)),
        extra: {
          pairs: PAIRS,
          inProcessMedianMs: round(median(inProc)),
          nodeStartMedianMs: round(median(n)),
          nodeStartRatio: round(median(floor), 3),
          hyperfineMedianMs: hfOurs.medianMs,
          hyperfineCpuMs: round(hfOurs.userMs + hfOurs.systemMs),
          hyperfineScriptMedianMs: hfScript.medianMs,
          hyperfineScriptCpuMs: round(hfScript.userMs + hfScript.systemMs),
          tsxMedianMs: round(median(tsxRuns)),
        },
      },
      baseline: { medianMs: round(median(b)), command: 'bench/guide-diagnostics.sh, paired run by run' },
      ratio: round(ratio, 3),
      target: 'median per-pair ratio ≤ 0.5 (node dist/cli.js status)',
      pass: ratio <= 0.5,
    };
  } finally {
    await doctor.close();
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
