/**
 * Who holds a TCP port on this host, and is it a container? Linux only, read from procfs:
 * `/proc/net/tcp{,6}` gives the LISTEN socket's inode, `/proc/<pid>/fd/*` → `socket:[inode]` gives the pid,
 * `/proc/<pid>/cmdline` names it and `/proc/<pid>/cgroup` carries the container id when it runs in one
 * (Docker `/docker/<id>`, `docker-<id>.scope`; podman `libpod-<id>`).
 *
 * Falls back gracefully: without procfs (or in another network namespace) a plain TCP connect still tells
 * whether something listens; the owner is then unknown.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { redact } from '../telemetry/redact';

export interface ProcessInfo {
  pid: number;
  /** Short process name (`/proc/<pid>/comm`). */
  comm: string;
  /** Command line, redacted and shortened. */
  command: string;
  /** Full container id when the process runs in a container. */
  containerId?: string;
}

export interface PortProbe {
  port: number;
  listening: boolean;
  /** How it was found out. */
  method: 'procfs' | 'connect';
  holders: ProcessInfo[];
  /** Why the holder could not be named, when it could not. */
  note?: string;
}

/** Processes that hold a published port on behalf of a container. */
export const PORT_PROXIES = new Set(['docker-proxy', 'rootlessport', 'rootlessport-ch', 'conmon', 'slirp4netns', 'pasta', 'vpnkit']);

export interface ProbeOptions {
  procRoot?: string;
  /** Give up scanning /proc/<pid>/fd after this long (ms). */
  budgetMs?: number;
}

/** Parse /proc/net/tcp(6) text: inodes of LISTEN sockets on `port`. */
export function listenInodes(text: string, port: number): number[] {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]?.trim().split(/\s+/);
    if (!f || f.length < 10) continue;
    const local = f[1] ?? '';
    const state = f[3];
    if (state !== '0A') continue;
    const p = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (p !== port) continue;
    const inode = Number(f[9]);
    if (inode > 0) out.push(inode);
  }
  return out;
}

const CONTAINER_ID = /(?:docker[-/]|libpod-|crio-|containerd[-/]|\/)([0-9a-f]{64})(?:\.scope)?/;

export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (/libpod-conmon-|\/conmon$/.test(line)) continue;
    const m = CONTAINER_ID.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

async function readText(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

export async function processInfo(pid: number, procRoot = '/proc'): Promise<ProcessInfo | undefined> {
  const [cmdline, comm, cgroup] = await Promise.all([
    readText(`${procRoot}/${pid}/cmdline`),
    readText(`${procRoot}/${pid}/comm`),
    readText(`${procRoot}/${pid}/cgroup`),
  ]);
  if (cmdline === undefined && comm === undefined) return undefined;
  const command = redact((cmdline ?? '').split('\0').filter(Boolean).join(' ')).slice(0, 200);
  const containerId = cgroup ? containerIdFromCgroup(cgroup) : undefined;
  return { pid, comm: (comm ?? '').trim(), command: command || (comm ?? '').trim(), ...(containerId ? { containerId } : {}) };
}

async function pids(procRoot: string): Promise<number[]> {
  try {
    return (await fs.readdir(procRoot)).filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
}

/** Pids whose file descriptors include one of the socket inodes. */
async function ownersOf(inodes: number[], procRoot: string, budgetMs: number): Promise<number[]> {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const found = new Set<number>();
  const until = Date.now() + budgetMs;
  const all = await pids(procRoot);
  // A few at a time: hosts have thousands of fds.
  const batch = 32;
  for (let i = 0; i < all.length && Date.now() < until; i += batch) {
    await Promise.all(
      all.slice(i, i + batch).map(async (pid) => {
        let fds: string[];
        try {
          fds = await fs.readdir(`${procRoot}/${pid}/fd`);
        } catch {
          return;
        }
        for (const fd of fds) {
          try {
            if (wanted.has(await fs.readlink(`${procRoot}/${pid}/fd/${fd}`))) {
              found.add(pid);
              return;
            }
          } catch {
            /* closed meanwhile */
          }
        }
      }),
    );
  }
  return [...found].sort((a, b) => a - b);
}

async function canConnect(port: number, host: string, timeoutMs = 500): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function whoListens(port: number, opts: ProbeOptions = {}): Promise<PortProbe> {
  const procRoot = opts.procRoot ?? '/proc';
  const [t4, t6] = await Promise.all([readText(`${procRoot}/net/tcp`), readText(`${procRoot}/net/tcp6`)]);
  if (t4 === undefined && t6 === undefined) {
    const listening = (await canConnect(port, '127.0.0.1')) || (await canConnect(port, '::1'));
    return { port, listening, method: 'connect', holders: [], note: 'procfs not readable: owner unknown' };
  }
  const inodes = [...listenInodes(t4 ?? '', port), ...listenInodes(t6 ?? '', port)];
  if (inodes.length === 0) return { port, listening: false, method: 'procfs', holders: [] };
  const owners = await ownersOf(inodes, procRoot, opts.budgetMs ?? 1500);
  const holders = (await Promise.all(owners.map((pid) => processInfo(pid, procRoot)))).filter((p): p is ProcessInfo => p !== undefined);
  return {
    port,
    listening: true,
    method: 'procfs',
    holders,
    ...(holders.length === 0 ? { note: 'a socket listens but its process is not visible (other pid namespace or no permission)' } : {}),
  };
}

/** Local processes whose command line matches `pattern` (e.g. a Vite dev server), containers included. */
/** Launchers whose first argument is the program actually run (`node …/vite.js`, `npx vite`). */
const LAUNCHERS = new Set(['node', 'nodejs', 'npx', 'bun', 'bunx', 'deno', 'pnpm', 'yarn', 'sh', 'bash']);

/**
 * The program a command line runs: the basename of argv[0], or of the first non-option argument after a
 * launcher (`node /app/node_modules/vite/bin/vite.js` → `vite.js`, `npx vite` → `vite`, `sh -c vite` → `vite`).
 * Matching this, not the whole command line, keeps `vim vite.config.ts`, `grep vite` or `vitest` out.
 */
export function programOf(argv: readonly string[]): string {
  const base = (a: string) => a.split('/').pop() ?? a;
  let i = 0;
  while (i < argv.length - 1 && LAUNCHERS.has(base(argv[i] as string))) {
    i++;
    while (i < argv.length - 1 && (argv[i] as string).startsWith('-')) i++;
    if (argv[i] === 'exec' || argv[i] === 'run' || argv[i] === 'x') i++;
  }
  return base((argv[i] ?? '').split(/\s+/)[0] ?? '');
}

export async function findProcesses(pattern: RegExp, opts: ProbeOptions = {}): Promise<ProcessInfo[]> {
  const procRoot = opts.procRoot ?? '/proc';
  const out: ProcessInfo[] = [];
  const self = process.pid;
  for (const pid of await pids(procRoot)) {
    if (pid === self) continue;
    const cmdline = await readText(`${procRoot}/${pid}/cmdline`);
    if (!cmdline) continue;
    if (!pattern.test(programOf(cmdline.split('\0').filter(Boolean)))) continue;
    const info = await processInfo(pid, procRoot);
    if (info) out.push(info);
  }
  return out;
}
