#!/usr/bin/env node
/**
 * The package's bin (copied to dist/cli.js by scripts/bundle.js): runs the CLI's bundles from V8's code
 * cache. dist/ws-doctor.cli.js (the shell: cli.ts + commander) runs first; dist/ws-doctor.core.js (1.8 MB, what
 * the commands load) only when a command asks for it, so `--help` never reads it. A plain `status` first runs
 * dist/ws-doctor.ask.js (a few KB) to ask a running bot; only without an answer does the shell load. Compiling the core from source
 * costs 30–150 ms on every start; from the cache, a fraction — Node 20 has no built-in compile cache for
 * CommonJS (module.enableCompileCache is Node 22+).
 *
 * One cache per bundle, subcommand and build (`ws-doctor.core.js.status.<build>.cache`), written at exit by the
 * first run of that command, so each holds the functions its command compiled; a command with none yet starts
 * from another command's. V8 refuses a cache made for another V8 version or flags (then the bundle compiles from
 * source and the cache is written again); the build id in the name keeps another build's cache away (V8 itself
 * compares only the source's length). The cache is never required: where dist/ is read-only (the image) a run
 * without one only starts slower. It lives next to the bundles because it is code: whoever may change one may
 * change both.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUILD = 'dev';
const cmd = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'default';
const isMain = require.main === module;
const loaded = new Map();

/** Runs one bundle as a CommonJS module of its own (its externals resolve from dist/'s node_modules). */
function runBundle(name) {
  const file = path.join(__dirname, name);
  const cacheOf = (c) => `${file}.${c}.${BUILD}.cache`;
  let cache;
  // Any cache of this build is valid for the bundle; its own command's holds the most of what it will run.
  for (const c of [...new Set([cmd, 'default', 'status', 'config'])]) {
    try {
      cache = { name: c, data: fs.readFileSync(cacheOf(c)) };
      break;
    } catch {
      // none for this command yet
    }
  }
  const source = fs.readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cache ? { cachedData: cache.data } : {}),
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cache || cache.name !== cmd || script.cachedDataRejected) {
    process.once('exit', () => {
      // Atomic (temp file + rename): two first runs at once never leave a torn cache.
      const tmp = `${cacheOf(cmd)}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheOf(cmd));
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(__dirname);
  const localRequire = (id) => (id === './cli-lazy' ? load('ws-doctor.core.js') : mod.require(id));
  localRequire.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  localRequire.cache = Module._cache;
  // `require.main === module` inside the shell: true when this loader is the program being run.
  localRequire.main = isMain && name === 'ws-doctor.cli.js' ? mod : require.main;
  loaded.set(name, mod);
  script.runInThisContext()(mod.exports, localRequire, mod, file, __dirname);
  mod.loaded = true;
  return mod.exports;
}

function load(name) {
  return loaded.get(name)?.exports ?? runBundle(name);
}

// A plain `status` asks a running bot with the same config first (src/cli-socket/ask.ts): when it answers, the
// process ends with its answer and the shell is never loaded. Anything else — or no bot — goes to the shell.
if (isMain && process.argv.includes('status') && fs.existsSync(path.join(__dirname, 'ws-doctor.ask.js'))) {
  load('ws-doctor.ask.js')
    .answerFromRunningBot(process.argv.slice(2))
    .catch(() => false)
    .then((answered) => answered || load('ws-doctor.cli.js'));
} else {
  module.exports = load('ws-doctor.cli.js');
}
