/**
 * Jest reporter that prints the chaos table after a run: one line per `chaosRow()` (test/chaos/row.ts), grouped
 * by area. It makes the folder the rows are written to and hands its path to the workers through the
 * environment (workers are started after reporters, and inherit it). Plain JS because jest loads reporters
 * without transforming them. Prints nothing when no chaos row ran (e.g. `npx jest test/unit/x.test.ts`).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROWS_DIR_ENV = 'WS_DOCTOR_CHAOS_ROWS';

function clip(s, n) {
  s = String(s).replace(/\s+/g, ' ');
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

class ChaosTableReporter {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-doctor-chaos-'));
    process.env[ROWS_DIR_ENV] = this.dir;
  }

  readRows() {
    const rows = [];
    for (const f of fs.readdirSync(this.dir)) {
      for (const line of fs.readFileSync(path.join(this.dir, f), 'utf8').split('\n')) {
        if (line.trim()) rows.push(JSON.parse(line));
      }
    }
    return rows.sort((a, b) => (a.area === b.area ? 0 : a.area < b.area ? -1 : 1));
  }

  onRunComplete() {
    let rows = [];
    try {
      rows = this.readRows();
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    if (!rows.length) return;
    const w = { area: 14, fault: 46, expected: 46, observed: 60 };
    const line = (a, f, e, o, p) =>
      `${clip(a, w.area).padEnd(w.area)} │ ${clip(f, w.fault).padEnd(w.fault)} │ ${clip(e, w.expected).padEnd(w.expected)} │ ${clip(o, w.observed).padEnd(w.observed)} │ ${p}`;
    const out = ['', 'Chaos table', line('area', 'fault', 'expected', 'observed', 'result'), '─'.repeat(w.area + w.fault + w.expected + w.observed + 18)];
    for (const r of rows) out.push(line(r.area, r.fault, r.expected, r.observed, r.pass ? 'pass' : 'FAIL'));
    const failed = rows.filter((r) => !r.pass).length;
    out.push(`${rows.length} rows, ${rows.length - failed} pass, ${failed} fail`, '');
    process.stdout.write(out.join('\n') + '\n');
    const file = process.env.WS_DOCTOR_CHAOS_TABLE;
    if (file) fs.writeFileSync(file, JSON.stringify(rows, null, 2));
  }
}

module.exports = ChaosTableReporter;
