#!/usr/bin/env node
/**
 * Builds the package's bin, `dist/cli.js`: the whole CLI in two files (esbuild: dist/ws-doctor.cli.js, the
 * command-line shell, and dist/ws-doctor.core.js, what the commands load) behind a small loader that keeps V8's
 * compiled code between runs (scripts/cli-loader.js); and a third, dist/ws-doctor.ask.js, the few KB a plain
 * `status` runs first to ask a running bot (src/cli-socket/ask.ts).
 *
 * Why: a one-shot `ws-doctor status` (cron, CI) paid ~250 ms resolving, reading and compiling ~400 modules on
 * every run; one file compiled from a code cache costs a few ms. Run by `npm run build` (after tsc, whose other
 * outputs — the health check, bench/rss — stay as they are) and by scripts/setup.sh whenever the bundle is missing
 * or older than the sources, so the bin works on a fresh clone after `npm run demo` or `npm test`.
 *
 * Bundled: the packages the one-shot commands load. Left in node_modules (required at run time, only by the
 * command that needs them): native or file-loading modules (better-sqlite3, re2-wasm, @resvg/resvg-js), those
 * that find files relative to themselves (node-cron, pino's worker transports) and the big ones only the bot or
 * Docker path uses (@slack/bolt, dockerode, prom-client).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const crypto = require('node:crypto');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const BUNDLED = new Set(['commander', 'zod', 'yaml', 'ioredis', 'ws', '@msgpack/msgpack']);

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {})
  .filter((d) => !BUNDLED.has(d))
  .flatMap((d) => [d, `${d}/*`]);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external,
  // Names stay (stack traces under WS_DOCTOR_DEBUG, errors told apart by class name); whitespace goes.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: path.join(ROOT, 'tsconfig.json'),
  write: false,
};

// Two files, split at src/cli-lazy.ts: the shell (cli.ts + commander: all `--help` needs) and the core
// (everything the commands load on demand). The shell's `require('./cli-lazy')` stays; the loader answers it
// with the core bundle.
const shell = esbuild.buildSync({ ...common, entryPoints: [path.join(ROOT, 'src', 'cli.ts')], outfile: path.join(DIST, 'ws-doctor.cli.js'), external: [...external, './cli-lazy'] });
const core = esbuild.buildSync({ ...common, entryPoints: [path.join(ROOT, 'src', 'cli-lazy.ts')], outfile: path.join(DIST, 'ws-doctor.core.js') });
// Third, tiny: what a plain `status` runs first to ask a running bot (src/cli-socket/ask.ts); Node builtins only.
const ask = esbuild.buildSync({ ...common, entryPoints: [path.join(ROOT, 'src', 'cli-socket', 'ask.ts')], outfile: path.join(DIST, 'ws-doctor.ask.js') });
fs.mkdirSync(DIST, { recursive: true });
for (const f of fs.readdirSync(DIST)) if (/^ws-doctor\..*\.(js|cache|tmp)$/.test(f)) fs.rmSync(path.join(DIST, f), { force: true });
const hash = crypto.createHash('sha256');
for (const out of [...shell.outputFiles, ...core.outputFiles, ...ask.outputFiles]) {
  fs.writeFileSync(out.path, out.contents);
  hash.update(out.contents);
}
// The build id names the code caches: V8 checks only a cache's source *length*, so a cache must never meet
// another build's bundle of the same length (old caches are deleted above, and their names no longer match).
const loader = fs.readFileSync(path.join(__dirname, 'cli-loader.js'), 'utf8').replace("const BUILD = 'dev';", `const BUILD = '${hash.digest('hex').slice(0, 12)}';`);
fs.writeFileSync(path.join(DIST, 'cli.js'), loader);
fs.chmodSync(path.join(DIST, 'cli.js'), 0o755);

// Warm the code caches once (what each command's first run would do), so even a read-only install (the image)
// starts warm: help, the config commands, and `status` against a stack that refuses every connection (port 9 on
// loopback, a state dir of its own) — it loads and runs every check's code without reaching anything.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bundle-'));
try {
  const warmConfig = path.join(tmp, 'warm.yml');
  const env = { backend: { url: 'http://127.0.0.1:9' }, redis: { url: 'redis://127.0.0.1:9' }, prometheus: { enabled: false }, docker: { enabled: false } };
  fs.writeFileSync(warmConfig, JSON.stringify({ defaultEnv: 'warm', stateDir: path.join(tmp, 'state'), environments: { warm: env } }));
  const runs = [
    [['--help'], [0]],
    [['config', 'reference'], [0]],
    [['status', '--config', warmConfig], [0, 1, 2], 'optional'],
  ];
  for (const [args, ok, optional] of runs) {
    const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmp, NO_COLOR: '1' },
      timeout: 60_000,
    });
    if (!ok.includes(r.status)) {
      // `status` needs the state store's native module, which a build stage without install scripts lacks:
      // then only its cache stays cold (written by its first run where dist/ is writable).
      if (optional) {
        process.stderr.write(`bundle: warming \`${args[0]}\` skipped (exit ${r.status})\n`);
        continue;
      }
      process.stderr.write(`bundle: dist/cli.js ${args.join(' ')} exited ${r.status}: the bundle does not run\n${r.stderr}`);
      process.exit(1);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
