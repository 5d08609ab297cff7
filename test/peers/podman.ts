/**
 * The real Docker Engine API peer for tests: podman's Docker-compatible service on a private unix socket,
 * with its own storage, run dir and lock files under a per-run temp dir (nothing touches other podman state),
 * and a busybox image made from the host's /bin/busybox (no registry needed). See shared/test-peers.md.
 *
 * Containers always use `--network host` (or `none`), never the default bridge. Teardown removes the containers
 * it created, stops the service by its pid and deletes the temp dir.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, promises as fs, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export const PEER_IMAGE = 'localhost/ws-doctor-peer:latest';
const INSTALL = 'apt-get update && apt-get install -y podman runc busybox-static';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunSpec {
  name: string;
  /** Shell command run by `sh -c`. */
  cmd: string;
  /** Compose labels: project + service (+ container-number, oneoff=False). Omit for an unlabelled container. */
  compose?: { project: string; service: string; number?: number };
  labels?: Record<string, string>;
  /** `--health-cmd`, with `--health-interval 0` (moved by `healthcheck()`), and retries (default 1). */
  health?: { cmd: string; retries?: number };
  restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  network?: 'host' | 'none';
  volumes?: string[];
  tty?: boolean;
  /**
   * Run on this root filesystem instead of the busybox image: `/:O` is the host root as a copy-on-write
   * overlay, so a container can run host programs (redis-server, Debian's python3 -m daphne) unchanged.
   */
  rootfs?: string;
  env?: Record<string, string>;
  workdir?: string;
}

export interface PodmanPeer {
  readonly dir: string;
  readonly socketPath: string;
  /** The API service's pid (a new one after `restartService()`). */
  readonly pid: number;
  /** Environment for any podman CLI call against this peer's storage. */
  readonly env: NodeJS.ProcessEnv;
  /** The podman CLI with this peer's configuration. */
  podman(args: string[], timeoutMs?: number): Promise<ExecResult>;
  /** `podman run -d …`; returns the container id. */
  run(spec: RunSpec): Promise<string>;
  /** `podman healthcheck run <name>` (moves State.Health). */
  healthcheck(name: string): Promise<ExecResult>;
  /** Whether the service still answers `/_ping`. */
  alive(): Promise<boolean>;
  /** Stop the API service only (by pid): the engine "disappears"; the socket file is left or removed by podman. */
  stopService(signal?: NodeJS.Signals): Promise<void>;
  /** Stop the service if it runs, then start a new one on the same socket (the engine "comes back"). */
  restartService(): Promise<void>;
  /** Remove created containers, stop the service, delete the temp dir. */
  cleanup(): Promise<void>;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${file} is not installed; install it with: ${INSTALL}`));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function which(bin: string): Promise<string | undefined> {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Build the busybox rootfs tarball (every applet as a symlink) and import it as PEER_IMAGE. */
async function importImage(dir: string, podman: PodmanPeer['podman']): Promise<void> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error(`/bin/busybox is missing; install it with: ${INSTALL}`);
  const root = path.join(dir, 'rootfs');
  await fs.mkdir(path.join(root, 'bin'), { recursive: true });
  await fs.mkdir(path.join(root, 'tmp'), { recursive: true });
  await fs.mkdir(path.join(root, 'www'), { recursive: true });
  await fs.copyFile(busybox, path.join(root, 'bin', 'busybox'));
  await fs.chmod(path.join(root, 'bin', 'busybox'), 0o755);
  const list = await exec(busybox, ['--list'], process.env);
  const applets = list.stdout.split('\n').map((s) => s.trim()).filter((s) => /^[a-z0-9_.[-]+$/i.test(s) && s !== 'busybox');
  for (const a of new Set(['sh', 'sleep', 'echo', 'cat', 'ls', ...applets])) {
    await fs.symlink('busybox', path.join(root, 'bin', a)).catch(() => undefined);
  }
  const tar = path.join(dir, 'rootfs.tar');
  const t = await exec('tar', ['-C', root, '-cf', tar, '.'], process.env);
  if (t.code !== 0) throw new Error(`tar failed: ${t.stderr}`);
  const r = await podman(['import', tar, PEER_IMAGE]);
  if (r.code !== 0) throw new Error(`podman import failed: ${r.stderr}`);
  await fs.rm(root, { recursive: true, force: true });
}

/** How many processes (other than this one) have `dir` on their command line: conmon, podman cleanup. */
/** Pids of processes whose command line names `dir` (conmon and `podman container cleanup` do). */
async function processesUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir)) pids.push(Number(pid));
  }
  return pids;
}

/** `pid` and all its descendants (a container's process is conmon's child and outlives a killed conmon). */
async function withDescendants(pid: number): Promise<number[]> {
  const out = [pid];
  for (const tid of await fs.readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const kids = await fs.readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const k of kids.split(/\s+/).filter(Boolean)) out.push(...(await withDescendants(Number(k))));
  }
  return out;
}

/**
 * A podman store of its own under `dir` (storage, run dir, network config, file locks, temp dir; nothing shared
 * with any other podman on the host), written as containers.conf + storage.conf, and the environment that
 * points the podman CLI at it. `vfs` needs nothing from the kernel (the test peer); `overlay` keeps build layers
 * cheap (the image test).
 */
export function podmanStoreEnv(dir: string, driver: 'vfs' | 'overlay'): NodeJS.ProcessEnv {
  for (const d of ['root', 'run', 'tmp', 'net']) mkdirSync(path.join(dir, d), { recursive: true });
  const conf = path.join(dir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]',
      '[network]',
      `network_config_dir = "${dir}/net"`,
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      // File locks under our own tmp dir: the default SHM lock segment is shared by every podman on the host.
      'lock_type = "file"',
      `tmp_dir = "${dir}/tmp"`,
      '',
    ].join('\n'),
  );
  const storage = path.join(dir, 'storage.conf');
  writeFileSync(storage, ['[storage]', `driver = "${driver}"`, `graphroot = "${dir}/root"`, `runroot = "${dir}/run"`, ''].join('\n'));
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
  delete env.CONTAINER_HOST;
  delete env.DOCKER_HOST;
  return env;
}

export async function startPodman(): Promise<PodmanPeer> {
  const found = await which('podman');
  if (!found) throw new Error(`podman is not installed; install it with: ${INSTALL}`);
  const bin: string = found;
  if (!(await which('runc'))) throw new Error(`runc is not installed; install it with: ${INSTALL}`);
  // Short path: unix socket paths (ours and conmon's) must stay under 108 bytes.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wsd-pm-'));
  const env = podmanStoreEnv(dir, 'vfs');
  const socketPath = path.join(dir, 'engine.sock');
  const created = new Set<string>();

  const podman = (args: string[], timeoutMs?: number): Promise<ExecResult> => exec(bin, args, env, timeoutMs);

  await importImage(dir, podman);

  // The service's stderr goes to a file, not a pipe: conmon processes it starts would inherit a pipe and keep
  // it (and this process) open after the service is gone.
  const logFile = path.join(dir, 'service.log');
  const serviceLog = async (): Promise<string> => (await fs.readFile(logFile, 'utf8').catch(() => '')).slice(-2000);
  let service: { pid: number; exited: boolean; exitP: Promise<void> } = await spawnService();

  /** Start `podman system service` on `socketPath` and wait until it answers `/_ping`. */
  async function spawnService(): Promise<{ pid: number; exited: boolean; exitP: Promise<void> }> {
    const logFd = openSync(logFile, 'a');
    const child: ChildProcess = spawn(bin, ['system', 'service', '--time=0', `unix://${socketPath}`], {
      env,
      stdio: ['ignore', 'ignore', logFd],
    });
    closeSync(logFd);
    const s = { pid: child.pid ?? -1, exited: false, exitP: Promise.resolve() };
    s.exitP = new Promise<void>((resolve) => child.once('exit', () => ((s.exited = true), resolve())));
    child.once('error', () => undefined);
    const until = Date.now() + 15000;
    while (!(existsSync(socketPath) && (await ping(socketPath)))) {
      if (s.exited) throw new Error(`podman system service exited: ${await serviceLog()}`);
      if (Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`podman system service did not answer on ${socketPath}: ${await serviceLog()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (child.pid === undefined) throw new Error('podman system service has no pid');
    return s;
  }

  /** Wait for the service to exit, at most `ms` (the timer is cleared: a pending one would keep jest's worker alive). */
  const exitWithin = async (ms: number): Promise<void> => {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([service.exitP, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  };

  const stopService = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (service.exited) return;
    try {
      process.kill(service.pid, signal);
    } catch {
      return;
    }
    await exitWithin(5000);
    if (!service.exited) {
      try {
        process.kill(service.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exitWithin(2000);
    }
  };

  return {
    dir,
    socketPath,
    get pid() {
      return service.pid;
    },
    env,
    podman,
    async run(spec) {
      const args = ['run', '-d', '--name', spec.name, '--network', spec.network ?? 'host'];
      if (spec.compose) {
        args.push(
          '--label',
          `com.docker.compose.project=${spec.compose.project}`,
          '--label',
          `com.docker.compose.service=${spec.compose.service}`,
          '--label',
          `com.docker.compose.container-number=${spec.compose.number ?? 1}`,
          '--label',
          'com.docker.compose.oneoff=False',
        );
      }
      for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
      if (spec.health) {
        args.push('--health-cmd', spec.health.cmd, '--health-interval', '0', '--health-retries', String(spec.health.retries ?? 1));
      }
      if (spec.restart) args.push('--restart', spec.restart);
      for (const v of spec.volumes ?? []) args.push('-v', v);
      if (spec.tty) args.push('-t');
      for (const [k, v] of Object.entries(spec.env ?? {})) args.push('-e', `${k}=${v}`);
      if (spec.workdir) args.push('--workdir', spec.workdir);
      if (spec.rootfs) args.push('--rootfs', spec.rootfs, '/bin/sh', '-c', spec.cmd);
      else args.push(PEER_IMAGE, 'sh', '-c', spec.cmd);
      const r = await podman(args);
      if (r.code !== 0) throw new Error(`podman run ${spec.name} failed: ${r.stderr}`);
      created.add(spec.name);
      return r.stdout.trim().split('\n').pop() ?? '';
    },
    healthcheck: (name) => podman(['healthcheck', 'run', name]),
    alive: () => ping(socketPath),
    stopService,
    async restartService() {
      await stopService();
      // A socket file left behind (or removed by a test) is replaced by the new service's own.
      await fs.rm(socketPath, { force: true });
      service = await spawnService();
    },
    async cleanup() {
      if (created.size > 0) await podman(['rm', '-f', '-t', '0', ...created], 60000).catch(() => undefined);
      // Anything else left in this private store (e.g. made through the API) is ours too.
      await podman(['rm', '-f', '-a', '-t', '0'], 60000).catch(() => undefined);
      await stopService();
      // conmon runs `podman container cleanup` after a container dies, which re-creates the storage dirs:
      // wait for every process still pointing at this dir to go, then delete it.
      const until = Date.now() + 10000;
      while ((await processesUsing(dir)).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      // Under heavy load `podman rm` can time out and leave a container running with no service to stop it
      // (seen: three orphaned containers spinning at ~20 % CPU each). Everything under this private dir is
      // ours: kill what is left, children first-class (killing conmon alone orphans the container process).
      for (const p of await processesUsing(dir)) {
        for (const q of await withDescendants(p)) {
          try {
            process.kill(q, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
