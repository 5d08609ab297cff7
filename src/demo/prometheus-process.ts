/**
 * Spawns a private Prometheus (the Debian `prometheus` 2.42 binary) on a free loopback port, with its own
 * generated config and TSDB in a temp dir and a 1 s scrape interval: the demo stack's monitoring and the test
 * suite's. Stopped by pid, never by name (another Prometheus may run on this machine); the temp dir is removed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../util/net';
import { which } from '../util/which';
import { registerChild, unregisterChild } from './child-registry';
import { spawnTiedToParent } from './spawn-tied';

export interface ScrapeTargetSpec {
  job: string;
  /** `host:port`, loopback only. */
  target: string;
  metricsPath?: string;
}

export interface PrometheusProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export const PROMETHEUS_INSTALL_HINT = 'install it with: apt-get update && apt-get install -y prometheus';

/** Whether `binary` (default `prometheus`) is an executable file on PATH (or, with a slash, at that path). */
export function prometheusAvailable(binary = 'prometheus'): boolean {
  return which(binary) !== undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startPrometheus(opts: {
  scrapeTargets: ScrapeTargetSpec[];
  binary?: string;
  port?: number;
  /** Also the scrape timeout; default 1 s. */
  scrapeIntervalS?: number;
}): Promise<PrometheusProcess> {
  const binary = opts.binary ?? 'prometheus';
  const interval = `${opts.scrapeIntervalS ?? 1}s`;
  const dir = await mkdtemp(path.join(tmpdir(), 'ws-doctor-prom-'));
  const port = opts.port ?? (await freePort());
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: opts.scrapeTargets.map((t) => ({
      job_name: t.job,
      metrics_path: t.metricsPath ?? '/metrics',
      static_configs: [{ targets: [t.target] }],
    })),
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, YAML.stringify(config));

  const child = spawnTiedToParent(
    binary,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (child.pid !== undefined) registerChild(child.pid, binary, dir);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
  // `exited` also covers a failed spawn (ENOENT): there is then no process to wait for or to kill.
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => ((exited = true), child.pid !== undefined && unregisterChild(child.pid), resolve()));
    child.once('error', () => ((exited = true), resolve()));
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new Error(`cannot start ${binary} (${(err as NodeJS.ErrnoException).code ?? err.message}); ${PROMETHEUS_INSTALL_HINT}`)),
    ),
  );
  spawnError.catch(() => undefined); // observed by the race below; never an unhandled rejection
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    stopped = true;
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      // An unref'd grace timer: it must not keep the process alive once Prometheus has exited.
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (!exited) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await Promise.race([exit, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitReady(url, () => exited || stopped, () => stderr), spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.pid === undefined) {
    await stop();
    throw new Error(`${binary} did not start`);
  }
  return { url, port, pid: child.pid, stop };
}

async function waitReady(url: string, gone: () => boolean, stderr: () => string, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (gone()) throw new Error(`prometheus exited during start-up: ${stderr().slice(-600)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`prometheus not ready after ${timeoutMs} ms: ${stderr().slice(-600)}`);
}

interface ActiveTarget {
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  /** Epoch ms of the start of the last scrape; NaN/negative before the first one. */
  lastScrapeMs: number;
}

async function jobTarget(promUrl: string, job: string): Promise<ActiveTarget | undefined> {
  const res = await fetch(`${promUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) });
  const body = (await res.json()) as {
    data?: { activeTargets?: Array<{ labels?: { job?: string }; health?: string; lastError?: string; lastScrape?: string }> };
  };
  const t = body.data?.activeTargets?.find((x) => x.labels?.job === job);
  if (!t) return undefined;
  const health = t.health === 'up' || t.health === 'down' ? t.health : 'unknown';
  return { health, lastError: t.lastError ?? '', lastScrapeMs: t.lastScrape ? Date.parse(t.lastScrape) : NaN };
}

/** Wait until Prometheus has scraped `job` with the given health (`up` or `down`); returns its lastError. */
export async function waitForScrape(promUrl: string, job: string, health: 'up' | 'down', timeoutMs = 15000): Promise<{ lastError: string }> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const t = await jobTarget(promUrl, job);
      last = t ? `health=${t.health}` : 'job absent';
      if (t?.health === health) return { lastError: t.lastError };
    } catch {
      /* retry */
    }
    await sleep(200);
  }
  throw new Error(`job ${job} not ${health} after ${timeoutMs} ms (${last})`);
}

/**
 * Wait until a scrape of `job` that started at or after `sinceMs` (epoch ms; default: any scrape) has finished,
 * so that its health reflects the stack as it was at `sinceMs`. Returns that health, or undefined when no such
 * scrape finished within `timeoutMs` (never throws: callers use it to make the next status fair, not to test).
 */
export async function waitForScrapeSince(
  promUrl: string,
  job: string,
  sinceMs = Number.NEGATIVE_INFINITY,
  timeoutMs = 5000,
): Promise<'up' | 'down' | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const t = await jobTarget(promUrl, job);
      // lastScrape has sub-millisecond precision and Date.parse truncates it: `>=` never admits an earlier scrape.
      if (t && t.health !== 'unknown' && t.lastScrapeMs >= sinceMs) return t.health;
    } catch {
      /* retry */
    }
    await sleep(100);
  }
  return undefined;
}
