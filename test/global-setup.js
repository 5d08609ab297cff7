/**
 * Jest global setup: a directory where the demo's servers list themselves while they run
 * (src/demo/child-registry.ts), inherited by every worker and every process a test spawns.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async () => {
  if (!process.env.WS_DOCTOR_CHILD_REGISTRY) {
    process.env.WS_DOCTOR_CHILD_REGISTRY = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-children-'));
  }
};
