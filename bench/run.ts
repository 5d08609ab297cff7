/**
 * `npm run bench`: every benchmark, each against what a person would otherwise run, in one run; prints the
 * ratios and exits 1 when a target is missed. `npm run bench -- status` runs only the named ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './types';

type Bench = { name: string; file: string; fn: string };

const BENCHES: Bench[] = [
  { name: 'status', file: './status', fn: 'benchStatus' },
  { name: 'cli-status', file: './cli', fn: 'benchCliStatus' },
  { name: 'cli-help', file: './cli', fn: 'benchCliHelp' },
  { name: 'logscan', file: './logscan', fn: 'benchLogScan' },
  { name: 'ack', file: './ack', fn: 'benchAck' },
  { name: 'flush', file: './flush', fn: 'benchFlush' },
  { name: 'alerts', file: './alerts', fn: 'benchAlerts' },
  { name: 'rss', file: './rss', fn: 'benchRss' },
  { name: 'state', file: './state', fn: 'benchState' },
  { name: 'takeover', file: './takeover', fn: 'benchTakeover' },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const results: BenchResult[] = [];
  for (const b of BENCHES) {
    if (only.length && !only.includes(b.name)) continue;
    if (!fs.existsSync(path.join(__dirname, `${b.file}.ts`))) continue;
    const mod = (await import(b.file)) as Record<string, () => Promise<BenchResult>>;
    const fn = mod[b.fn];
    if (!fn) throw new Error(`${b.file} does not export ${b.fn}`);
    process.stderr.write(`running ${b.name}…\n`);
    const r = await fn();
    results.push(r);
    print(r);
  }
  process.stdout.write('\n| bench | ours (median) | baseline (median) | ratio | target | |\n|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.name} | ${r.ours.medianMs} ms | ${r.baseline.medianMs} ms | ${r.ratio} | ${r.target} | ${r.pass ? 'PASS' : 'MISS'} |\n`);
  }
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

function print(r: BenchResult): void {
  const extra = r.ours.extra ? ' ' + Object.entries(r.ours.extra).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  process.stdout.write(
    `${r.name}: ours ${r.ours.medianMs} ms${extra} · baseline ${r.baseline.medianMs} ms (${r.baseline.command}) · ratio ${r.ratio} · target ${r.target} · ${r.pass ? 'PASS' : 'MISS'}\n`,
  );
}

void main();
