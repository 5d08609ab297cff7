/**
 * The real Channels peer for tests: ws-doctor's own small Channels application (test/peers/channels-app/)
 * served by Debian's Daphne (`/usr/bin/python3 -m daphne`) with channels_redis over a real redis-server.
 * Its own port, started and stopped by pid; its stdout (Daphne's access log) and stderr (app + Daphne lines)
 * are kept for assertions.
 *
 * Every setting is an environment variable read by wsdpeer/settings.py (CACHE_URL, REDIS_URL, DEBUG,
 * ALLOWED_HOSTS, CORS_ALLOWED_ORIGINS, SECURE_SSL_REDIRECT, WSD_*), so a fault is a deployment the real stack
 * can have. `channelsPeerCommand()` gives the same command for a container (test/peers/podman.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitForPort } from '../../src/util/net';

export const CHANNELS_APP_DIR = path.join(__dirname, 'channels-app');

/** Debian's interpreter: the Debian packages live in its dist-packages, not in a pyenv/venv python3 on PATH. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Python module → the Debian package that ships it (scripts/setup.sh installs them all). */
const MODULE_PACKAGES: ReadonlyArray<[string, string]> = [
  ['daphne', 'python3-daphne'],
  ['channels', 'python3-django-channels'],
  ['channels_redis', 'python3-channels-redis'],
  ['django', 'python3-django'],
  ['rest_framework', 'python3-djangorestframework'],
  ['redis', 'python3-redis'],
  ['rest_framework_simplejwt', 'python3-djangorestframework-simplejwt'],
  ['django_prometheus', 'python3-django-prometheus'],
];

/** Fails loudly, naming every missing Debian package, when the peer cannot run on this machine. */
export async function requireChannelsPeerPackages(): Promise<void> {
  const probe = MODULE_PACKAGES.map(([m]) => `\ntry:\n    import ${m}\nexcept Exception:\n    print(${JSON.stringify(m)})`).join('');
  const missing = await new Promise<string[]>((resolve) => {
    execFile(PYTHON, ['-c', probe], { timeout: 20000 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve(['python3']);
      else resolve(String(stdout).split('\n').map((s) => s.trim()).filter(Boolean));
    });
  });
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => MODULE_PACKAGES.find(([mod]) => mod === m)?.[1] ?? m);
  throw new Error(
    `the Channels peer needs Debian packages that are missing: ${pkgs.join(' ')} — run \`npm run setup\` ` +
      `(or: apt-get update && apt-get install -y ${pkgs.join(' ')})`,
  );
}

export interface ChannelsPeerOptions {
  /** Redis server URL without a DB (`redis://127.0.0.1:<port>`). */
  redisUrl: string;
  port?: number;
  /** DEBUG (local compose: limits off). Default true. */
  debug?: boolean;
  /** Cache DB (CACHE_URL), default 2; channel-layer DB (REDIS_URL), default 3. */
  cacheDb?: number;
  channelLayerDb?: number;
  /** More settings (override the defaults above: CACHE_URL, ALLOWED_HOSTS, WSD_TOKEN_TTL, …). */
  settings?: Record<string, string>;
}

/** The environment that configures the app (shared by the process peer and the container). */
export function channelsPeerSettings(o: ChannelsPeerOptions): Record<string, string> {
  const base = o.redisUrl.replace(/\/+$/, '');
  return {
    DJANGO_SETTINGS_MODULE: 'wsdpeer.settings',
    PYTHONPATH: CHANNELS_APP_DIR,
    PYTHONUNBUFFERED: '1',
    DEBUG: o.debug === false ? 'False' : 'True',
    CACHE_URL: `${base}/${o.cacheDb ?? 2}`,
    REDIS_URL: `${base}/${o.channelLayerDb ?? 3}`,
    // Tests log in often; the real 10/min per IP is exercised by its own test through `settings`.
    WSD_LOGIN_RATE: '1000',
    ...o.settings,
  };
}

/** argv of the server: Debian's Daphne on loopback, access log on stdout (verbosity 1). */
export function channelsPeerArgv(port: number): string[] {
  return [PYTHON, '-m', 'daphne', '-v', '1', '-b', '127.0.0.1', '-p', String(port), 'wsdpeer.asgi:application'];
}

export interface ChannelsPeer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Every line the server wrote so far (stderr and stdout interleaved as they came). */
  lines(): string[];
  /** Resolves with the first line (from `fromIndex` on) matching `re`, or rejects after `timeoutMs`. */
  waitForLine(re: RegExp, timeoutMs?: number, fromIndex?: number): Promise<string>;
  /** Pause / resume the server process (a hung backend: the kernel still accepts connections). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startChannelsPeer(o: ChannelsPeerOptions): Promise<ChannelsPeer> {
  await requireChannelsPeerPackages();
  const port = o.port ?? (await freePort());
  const [bin, ...args] = channelsPeerArgv(port);
  const child: ChildProcess = spawn(bin as string, args, {
    cwd: CHANNELS_APP_DIR,
    env: { ...process.env, ...channelsPeerSettings(o) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) lines.push(p);
      for (const w of [...waiters]) w();
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  let exited = false;
  const exitP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const spawnErr = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start Daphne: ${e.message}`))));
  const died = exitP.then(() => {
    throw new Error(`Daphne exited before listening:\n${lines.slice(-30).join('\n')}`);
  });
  await Promise.race([waitForPort(port, 20000), spawnErr, died]);
  if (child.pid === undefined) throw new Error('Daphne has no pid');
  const pid = child.pid;

  const waitForLine = (re: RegExp, timeoutMs = 5000, fromIndex = 0): Promise<string> =>
    new Promise((resolve, reject) => {
      const look = (): boolean => {
        const hit = lines.slice(fromIndex).find((l) => re.test(l));
        if (hit === undefined) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const check = (): void => void look();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`));
      }, timeoutMs);
      if (!look()) waiters.add(check);
    });
  await waitForLine(/Listening on TCP address/, 10000);

  const signal = (s: NodeJS.Signals): void => {
    if (!exited) process.kill(pid, s);
  };
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    pid,
    lines: () => [...lines],
    waitForLine,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        signal('SIGCONT');
        signal('SIGTERM');
        let t: NodeJS.Timeout | undefined;
        await Promise.race([exitP, new Promise<void>((r) => (t = setTimeout(r, 5000)))]);
        clearTimeout(t);
        if (!exited) {
          signal('SIGKILL');
          await exitP;
        }
      })();
      return stopping;
    },
  };
}
