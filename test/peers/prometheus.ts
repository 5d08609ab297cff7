/**
 * The real Prometheus peer for tests: the Debian `prometheus` 2.42 binary on a free loopback port, its own
 * config file and TSDB in a temp dir, a 1 s scrape interval. Stopped by pid, temp dir removed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../../src/util/net';

export interface ScrapeTargetSpec {
  job: string;
  /** `host:port`, loopback only. */
  target: string;
  metricsPath?: string;
}

export interface PrometheusProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install it with: apt-get update && apt-get install -y prometheus';

export async function startPrometheus(opts: { scrapeTargets: ScrapeTargetSpec[]; binary?: string }): Promise<PrometheusProcess> {
  const binary = opts.binary ?? 'prometheus';
  const dir = await mkdtemp(path.join(tmpdir(), 'ws-doctor-prom-'));
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: opts.scrapeTargets.map((t) => ({
      job_name: t.job,
      metrics_path: t.metricsPath ?? '/metrics',
      static_configs: [{ targets: [t.target] }],
    })),
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, YAML.stringify(config));

  const child = spawn(
    binary,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`cannot start ${binary} (${(err as NodeJS.ErrnoException).code ?? err.message}); ${INSTALL_HINT}`))),
  );
  const url = `http://127.0.0.1:${port}`;
  const cleanup = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      // An unref'd grace timer: it must not keep the test process alive once Prometheus has exited.
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (!exited) process.kill(child.pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitReady(url, () => exited, () => stderr), spawnError]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  if (child.pid === undefined) throw new Error(`${binary} did not start`);
  return { url, pid: child.pid, stop: cleanup };
}

async function waitReady(url: string, hasExited: () => boolean, stderr: () => string, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (hasExited()) throw new Error(`prometheus exited during start-up: ${stderr().slice(-600)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus not ready after ${timeoutMs} ms: ${stderr().slice(-600)}`);
}

/** Wait until Prometheus has scraped `job` with the given health (`up` or `down`); returns its lastError. */
export async function waitForScrape(promUrl: string, job: string, health: 'up' | 'down', timeoutMs = 15000): Promise<{ lastError: string }> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(`${promUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { data?: { activeTargets?: Array<{ labels?: { job?: string }; health?: string; lastError?: string }> } };
      const t = body.data?.activeTargets?.find((x) => x.labels?.job === job);
      last = t ? `health=${t.health}` : 'job absent';
      if (t?.health === health) return { lastError: t.lastError ?? '' };
    } catch {
      /* retry */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${job} not ${health} after ${timeoutMs} ms (${last})`);
}
