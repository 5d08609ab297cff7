/**
 * `status` against the demo stack vs. the guide's diagnostics as a shell script in sequence on the same stack,
 * in one run. Target (issue 2): median ≤ 150 ms and ≤ 0.25× the script.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_SERVICE_ACCOUNT } from '../src/demo/users';
import { Doctor } from '../src/core/doctor';
import { benchConfig, startStackProcess } from './stack';
import { median, type BenchResult } from './types';

const RUNS = 30;

export async function benchStatus(): Promise<BenchResult> {
  const stack = await startStackProcess();
  const jarDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bench-'));
  const jar = path.join(jarDir, 'cookies');
  const doctor = Doctor.create(benchConfig(stack), { stateDir: null });
  try {
    // The script's person is logged in already (browser cookie); so is the bot after its first run.
    const login = spawnSync(
      'curl',
      ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }), `${stack.url}/api/v1/auth/login/`],
      { encoding: 'utf8' },
    );
    const jwt = /access_token=([^;\s]+)/.exec(login.stdout)?.[1];
    if (!jwt) throw new Error('bench login failed: no access_token cookie');
    fs.writeFileSync(jar, jwt);
    const script = path.join(__dirname, 'guide-diagnostics.sh');
    const probe = path.join(__dirname, 'ws-probe.js');
    const runScript = (): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('bash', [script, stack.url, stack.wsUrl, stack.redisUrl, jar, probe], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`guide script failed: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const runOurs = async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const report = await doctor.status('bench');
      if (report.verdict.overall === 'down') throw new Error(`bench stack is down: ${report.verdict.headline}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    for (let i = 0; i < 3; i++) {
      await runOurs();
      runScript();
    }
    const ours: number[] = [];
    const theirs: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < RUNS; i++) {
      ours.push(await runOurs());
      theirs.push(runScript());
    }
    const o = median(ours);
    const b = median(theirs);
    const ratio = o / b;
    return {
      name: 'status vs guide script',
      ours: { medianMs: round(o), extra: { runs: RUNS, checks: doctor.checkNames('bench').length } },
      baseline: { medianMs: round(b), command: 'bench/guide-diagnostics.sh (redis-cli, curl, node ws probe in sequence)' },
      ratio: round(ratio, 3),
      target: 'median ≤ 150 ms and ratio ≤ 0.25',
      pass: o <= 150 && ratio <= 0.25,
    };
  } finally {
    await doctor.close();
    await stack.stop();
    fs.rmSync(jarDir, { recursive: true, force: true });
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
