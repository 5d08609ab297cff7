/**
 * scripts/setup.sh is what makes `npm run demo` and `npm test` work on a fresh clone of a fresh machine. It runs
 * here for real, on a copy of the repo's script, with a PATH that holds only the basic tools it uses plus two
 * recording stand-ins: `apt-get` (its `install` puts the programs of the packages it was asked for on that PATH,
 * as the real one would) and `npm` (its `ci` creates node_modules). What is asserted is what the script asks
 * for: only the missing packages, once; the node modules only when absent or when the lock file changed; and
 * nothing at all when everything is present.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
let root: string;
let bin: string;
let calls: string;

function stub(name: string, body: string): void {
  const f = path.join(bin, name);
  writeFileSync(f, `#!/bin/bash\n${body}\n`);
  chmodSync(f, 0o755);
}

function run(target?: string, extraPath = ''): { code: number; stdout: string; stderr: string; calls: string[] } {
  writeFileSync(calls, '');
  const r = spawnSync('/bin/bash', [path.join(root, 'scripts', 'setup.sh'), ...(target ? [target] : [])], {
    env: { PATH: extraPath ? `${bin}:${extraPath}` : bin, HOME: root },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean) };
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'wsd-setup-'));
  bin = path.join(root, 'bin');
  calls = path.join(root, 'calls.log');
  mkdirSync(path.join(root, 'scripts'));
  mkdirSync(bin);
  copyFileSync(path.join(REPO, 'scripts', 'setup.sh'), path.join(root, 'scripts', 'setup.sh'));
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n');
  for (const tool of ['sha1sum', 'cut', 'id', 'dirname']) {
    symlinkSync(execFileSync('/bin/bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
  }
  // apt-get install <pkg…>: record, then make each package's program exist (the probes are command names).
  stub('apt-get', `echo "apt-get $*" >> ${calls}\nif [ "$1" = install ]; then for p in "$@"; do case "$p" in -*|install) ;; *) printf '#!/bin/bash\\n' > ${bin}/$p; /bin/chmod +x ${bin}/$p ;; esac; done; fi`);
  stub('npm', `echo "npm $*" >> ${calls}\n/bin/mkdir -p node_modules`);
  stub('sudo', 'exec "$@"');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('fresh machine, `demo`: installs the demo packages and the node modules, saying so', () => {
  const r = run('demo');
  expect(r.code).toBe(0);
  expect(r.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq g++ make python3 redis-server prometheus', 'npm ci --no-audit --no-fund']);
  expect(r.stderr).toContain('installing g++ make python3 redis-server prometheus with apt-get');
  expect(r.stderr).toContain('npm ci');
  expect(existsSync(path.join(root, 'node_modules', '.lockhash'))).toBe(true);
});

test('everything present: nothing is called and nothing is printed', () => {
  const r = run('demo');
  expect(r).toEqual({ code: 0, stdout: '', stderr: '', calls: [] });
});

test('`test` adds only the test peers that are still missing', () => {
  const r = run('test');
  expect(r.code).toBe(0);
  // Only the test packages probed by command name are missing on this PATH (the rest are probed by absolute path
  // and `npm test` has installed them on this machine already); read from the script's own list.
  const list = /PACKAGES='([^']*)'/.exec(readFileSync(path.join(REPO, 'scripts', 'setup.sh'), 'utf8'))![1]!;
  const byName = list
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'test' && f[2] && !f[2].startsWith('/'))
    .map((f) => f[1]);
  expect(byName).toContain('podman');
  expect(r.calls).toEqual(['apt-get update -qq', `apt-get install -y -qq ${byName.join(' ')}`]);
  expect(run('test').calls).toEqual([]);
});

test('a changed lock file reinstalls the node modules once', () => {
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion": 3, "changed": true}\n');
  expect(run('modules').calls).toEqual(['npm ci --no-audit --no-fund']);
  expect(run('modules').calls).toEqual([]);
});

test('missing packages and no apt-get: fails loudly naming them', () => {
  rmSync(path.join(bin, 'redis-server'));
  const aptGet = readFileSync(path.join(bin, 'apt-get'), 'utf8');
  rmSync(path.join(bin, 'apt-get'));
  try {
    const r = run('demo');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing redis-server');
    expect(r.calls).toEqual([]);
  } finally {
    writeFileSync(path.join(bin, 'apt-get'), aptGet);
    chmodSync(path.join(bin, 'apt-get'), 0o755);
  }
});

test('an unknown target is refused with the valid ones', () => {
  const r = run('tests');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("unknown target 'tests' (expected demo, test, bench, screenshots, all or modules)");
});
