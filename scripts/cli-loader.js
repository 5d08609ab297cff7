#!/usr/bin/env node
/**
 * The package's bin (copied to dist/cli.js by scripts/bundle.js): runs dist/ws-doctor.bundle.js from V8's code
 * cache. Compiling the 1.8 MB bundle from source costs 30–100 ms on every start; from the cache, a few ms —
 * Node 20 has no built-in compile cache for CommonJS (module.enableCompileCache is Node 22+).
 *
 * One cache per subcommand (`ws-doctor.bundle.js.<cmd>.cache`), written at exit by the first run of that
 * command, so each holds the functions its command compiled; a command with none yet starts from the `--help`
 * one. V8 refuses a cache made for another source, V8 version or flags (then the bundle compiles from source and
 * the cache is written again). The cache is never required: where dist/ is read-only (the image) a run without
 * one only starts slower. It lives next to the bundle because it is code: whoever may change one may change both.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const file = path.join(__dirname, 'ws-doctor.bundle.js');
const cmd = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'default';
const cacheOf = (name) => `${file}.${name}.cache`;

function readCache() {
  for (const name of cmd === 'default' ? ['default'] : [cmd, 'default']) {
    try {
      return { name, data: fs.readFileSync(cacheOf(name)) };
    } catch {
      // none for this command yet
    }
  }
  return undefined;
}

const source = fs.readFileSync(file, 'utf8').replace(/^#!.*/, '');
const cache = readCache();
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

// The bundle runs as a CommonJS module of its own, resolving its external packages from dist/'s node_modules.
const bundle = new Module(file, module);
bundle.filename = file;
bundle.paths = Module._nodeModulePaths(__dirname);
bundle.loaded = true;
const localRequire = (id) => bundle.require(id);
localRequire.resolve = (request, options) => Module._resolveFilename(request, bundle, false, options);
localRequire.cache = Module._cache;
// `require.main === module` inside the bundle: true when this loader is the program being run.
localRequire.main = require.main === module ? bundle : require.main;
script.runInThisContext()(bundle.exports, localRequire, bundle, file, __dirname);
module.exports = bundle.exports;
