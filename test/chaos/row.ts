/**
 * The chaos table's one helper. Each `chaosRow()` is one jest test AND one row of the table `npm run test:chaos`
 * prints (fault, expected, observed, pass/fail). A row's probe injects the fault, watches what the bot does and
 * returns what it saw; the row passes only when the probe says so, and a failing row fails the test run.
 *
 *   chaosRow('Redis accepts and never answers', 'CLI exits within deadline + 1.5 s', async () => {
 *     const r = await runCli(...);
 *     return observe(`exit ${r.code} after ${r.ms} ms`, r.code === 2 && r.ms < 6500);
 *   });
 *
 * Rows are written (one JSON line each) to the folder the table reporter (table-reporter.js) made for this run,
 * so rows from every jest worker land in one table. The area is the test file's name (redis.test.ts → redis).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Observation {
  /** What actually happened, in words a reader of the table understands ("exit 2 after 5.1 s"). */
  observed: string;
  pass: boolean;
}

export interface RowRecord {
  area: string;
  fault: string;
  expected: string;
  observed: string;
  pass: boolean;
  ms: number;
}

export const ROWS_DIR_ENV = 'WS_DOCTOR_CHAOS_ROWS';

/** Shorthand for a probe's result. */
export function observe(observed: string, pass: boolean): Observation {
  return { observed, pass };
}

function areaOf(testPath: string | undefined): string {
  return testPath ? path.basename(testPath).replace(/\.test\.ts$/, '') : 'unknown';
}

/** Appends one row to this run's table (no-op when run without the reporter, e.g. a bare `jest` on one file). */
export function recordRow(row: RowRecord): void {
  const dir = process.env[ROWS_DIR_ENV];
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, `rows-${process.pid}.jsonl`), JSON.stringify(row) + '\n');
}

/**
 * One row: a jest test named `<fault> → <expected>` whose probe returns an Observation. A probe that throws
 * is a failed row whose "observed" is the error (a chaos probe must never take the run down with it).
 */
export function chaosRow(fault: string, expected: string, probe: () => Promise<Observation>, timeoutMs?: number): void {
  it(`${fault} → ${expected}`, async () => {
    const area = areaOf(expect.getState().testPath);
    const t0 = Date.now();
    let obs: Observation;
    try {
      obs = await probe();
    } catch (err) {
      obs = { observed: `probe threw: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300), pass: false };
    }
    recordRow({ area, fault, expected, observed: obs.observed, pass: obs.pass, ms: Date.now() - t0 });
    if (!obs.pass) throw new Error(`chaos row failed — ${fault}\n  expected: ${expected}\n  observed: ${obs.observed}`);
  }, timeoutMs);
}
