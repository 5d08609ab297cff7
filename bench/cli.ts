/**
 * The one-shot CLI as whole processes — what cron, CI and a person at a terminal actually run — against the
 * demo stack (its own process), paired run by run with the guide's diagnostics script on the same stack:
 *
 * - `ws-doctor status` (built JS, `node dist/cli.js`, the package's bin) vs `bench/guide-diagnostics.sh`,
 *   interleaved pair by pair so both see the same machine load; the ratio is the median of the per-pair ratios.
 *   Target: ≤ 0.5×. The same through `tsx src/cli.ts` (what `npm start` runs) is reported too, not targeted.
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

const BUNDLE = path.join(ROOT, 'dist', 'ws-doctor.bundle.js');

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

export async function benchCliStatus(): Promise<BenchResult> {
  ensureBuilt();
  const stack = await startStackProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bench-cli-'));
  try {
    const configFile = path.join(dir, 'bench.yml');
    fs.writeFileSync(configFile, YAML.stringify(benchConfig(stack)));
    const login = spawnSync(
      'curl',
      ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }), `${stack.url}/api/v1/auth/login/`],
      { encoding: 'utf8' },
    );
    const jwt = /access_token=([^;\s]+)/.exec(login.stdout)?.[1];
    if (!jwt) throw new Error('bench login failed: no access_token cookie');
    const jar = path.join(dir, 'jwt');
    fs.writeFileSync(jar, jwt);
    const script = () => timed('bash', [path.join(__dirname, 'guide-diagnostics.sh'), stack.url, stack.wsUrl, stack.redisUrl, jar, path.join(__dirname, 'ws-probe.js')], [0]);
    const ours = () => timed(process.execPath, [DIST_CLI, 'status', '--config', configFile], [0, 1]);
    const viaTsx = () => timed(process.execPath, [TSX, path.join(ROOT, 'src/cli.ts'), 'status', '--config', configFile], [0, 1]);
    for (let i = 0; i < 2; i++) (ours(), script(), viaTsx());
    const o: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const x = ours();
      const y = script();
      o.push(x);
      b.push(y);
      ratios.push(x / y);
    }
    const tsxRuns = Array.from({ length: 5 }, viaTsx);
    const ratio = median(ratios);
    return {
      name: 'CLI status (whole process) vs guide script',
      ours: { medianMs: round(median(o)), extra: { pairs: PAIRS, tsxMedianMs: round(median(tsxRuns)) } },
      baseline: { medianMs: round(median(b)), command: 'bench/guide-diagnostics.sh, paired run by run' },
      ratio: round(ratio, 3),
      target: 'median per-pair ratio ≤ 0.5 (node dist/cli.js status)',
      pass: ratio <= 0.5,
    };
  } finally {
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
  const h = median(help);
  return {
    name: 'CLI --help (whole process)',
    ours: { medianMs: round(h), extra: { runs } },
    baseline: { medianMs: round(median(bare)), command: 'node -e 0 (bare Node start)' },
    ratio: round(h / median(bare), 2),
    target: 'median ≤ 150 ms',
    pass: h <= 150,
  };
}
