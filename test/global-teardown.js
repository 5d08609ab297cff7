/**
 * Jest global teardown: stops, by pid, every server a test (or a process it spawned) started and never stopped
 * — listed in WS_DOCTOR_CHILD_REGISTRY by src/demo/child-registry.ts — and says who started it, so the leak can
 * be fixed where it is. Only a process whose command line still starts with the recorded binary is killed (a
 * pid can have been reused since).
 */
const fs = require('node:fs');
const path = require('node:path');

function commandOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return undefined; // gone
  }
}

/** Stops what `dir` still lists, removes it, and tells `say` one line per server it had to stop. */
function sweep(dir, say) {
  if (!dir || !fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    let rec;
    try {
      rec = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    const cmd = commandOf(rec.pid);
    if (cmd !== undefined && path.basename(cmd.split(' ')[0]) === path.basename(rec.binary)) {
      try {
        process.kill(rec.pid, 'SIGKILL');
        const by = [...(rec.startedBy ?? []), rec.parentCommand ? `process ${rec.parent}: ${rec.parentCommand}` : ''].filter(Boolean).join(' ← ');
        say(`test teardown: stopped a leftover ${rec.binary} (pid ${rec.pid}), started by ${by || 'unknown'}`);
      } catch {
        // exited meanwhile
      }
    }
    if (rec.tmpDir) fs.rmSync(rec.tmpDir, { recursive: true, force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = async () => sweep(process.env.WS_DOCTOR_CHILD_REGISTRY, (line) => process.stderr.write(`${line}\n`));
module.exports.sweep = sweep;
