/**
 * Composition root of `npm run demo` (like main.ts and cli.ts; the demo target itself lives in demo/ and knows
 * nothing of the bot): a private redis-server, the AllThrive-compatible demo backend on it, a private Prometheus
 * scraping it when the `prometheus` binary is installed, and the bot pointed at them — Slack when credentials
 * are set, the console otherwise, with `fault <name> on|off` to break the stack and watch the diagnosis change.
 * Everything started here is stopped here, by pid.
 */
import { loadConfig } from './config/load';
import type { ConsoleExtra } from './console/console';
import { startBot } from './main';
import { Doctor } from './core/doctor';
import { statusMessage } from './chat/status-message';
import { renderForStream } from './console/render';
import { freePort } from './util/net';
import { startRedisServer, type RedisProcess } from './demo/redis-process';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrapeSince, type PrometheusProcess } from './demo/prometheus-process';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from './demo/demo-config';
import { startDemoBackend, type DemoBackend, type FaultName } from './demo/index';

export interface LaunchOptions {
  once: boolean;
  faults: string[];
  config?: string | undefined;
}

/**
 * `redis-down` in the demo console is a real outage: the demo's redis-server is stopped (and started again on the
 * same port by `off`), so the backend and the bot both meet a refused connection, as in a real stack. The other
 * faults are the backend's own switches.
 */
class DemoRedis {
  constructor(
    public proc: RedisProcess | undefined,
    private readonly backendUrl: () => string | undefined,
  ) {}
  get down(): boolean {
    return this.proc === undefined;
  }
  async setDown(port: number, down: boolean): Promise<void> {
    if (down && this.proc) {
      await this.proc.stop();
      this.proc = undefined;
    } else if (!down && !this.proc) {
      this.proc = await startRedisServer({ port });
      await this.waitForBackend();
    }
  }

  /** The backend reconnects on its own backoff; wait (≤ 5 s) until its cache answers so the next status is fair. */
  private async waitForBackend(): Promise<void> {
    const url = this.backendUrl();
    if (!url) return;
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const ok = await fetch(`${url}/api/v1/db/health/`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Switches a demo fault. `redis-down` is the real outage (see DemoRedis); the rest are the backend's switches. */
function faultSetter(backend: DemoBackend, redis: DemoRedis, redisPort: number): (name: string, on: boolean) => Promise<void> {
  return async (name, on) => {
    if (name === 'redis-down') await redis.setDown(redisPort, on);
    else backend.faults.set(name as FaultName, on);
  };
}

/**
 * The console's fault commands. With the demo Prometheus running, `fault` and `heal` also wait (≤ 3 s, via
 * `scrapedSince`) for a scrape that began after the switch, so the next `status` shows the prometheus check as
 * the stack is now rather than as of the previous scrape.
 */
function faultExtras(
  backend: DemoBackend,
  redis: DemoRedis,
  set: (name: string, on: boolean) => Promise<void>,
  redisPort: number,
  scrapedSince: (sinceMs: number) => Promise<unknown>,
): ConsoleExtra[] {
  const names = (): string[] => backend.faults.list().map((f) => f.name);
  const lines = (): string[] =>
    backend.faults.list().map((f) => {
      const on = f.name === 'redis-down' ? redis.down : f.on;
      const description = f.name === 'redis-down' ? 'stop the demo redis-server (a real outage for backend and bot)' : f.description;
      return `  ${on ? '●' : '○'} ${f.name.padEnd(22)} ${description}`;
    });
  return [
    { name: 'faults', usage: 'faults', summary: 'List the demo fault switches.', run: () => lines().join('\n') },
    {
      name: 'fault',
      usage: 'fault <name> on|off',
      summary: 'Break (or mend) the demo stack.',
      run: async ([name, state]) => {
        if (!name || !names().includes(name) || (state !== 'on' && state !== 'off')) {
          return `usage: fault <name> on|off — names: ${names().join(', ')}`;
        }
        const since = Date.now();
        await set(name, state === 'on');
        await scrapedSince(since);
        return `fault ${name} is ${state}; run status to see the diagnosis.`;
      },
    },
    {
      name: 'heal',
      usage: 'heal',
      summary: 'Switch every fault off.',
      run: async () => {
        const since = Date.now();
        backend.faults.clear();
        await redis.setDown(redisPort, false);
        await scrapedSince(since);
        return 'all faults off';
      },
    },
  ];
}

interface DemoPrometheus {
  proc?: PrometheusProcess;
  /** Why the prometheus check is off, one line with the way to fix it. */
  note?: string;
}

/** The demo's Prometheus when the binary is installed. Never throws: the demo runs without it, check off. */
async function startDemoPrometheus(backendPort: number): Promise<DemoPrometheus> {
  if (!prometheusAvailable()) return { note: `prometheus check off: no \`prometheus\` binary on PATH — ${PROMETHEUS_INSTALL_HINT}` };
  try {
    return { proc: await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backendPort}`) }) };
  } catch (err) {
    return { note: `prometheus check off: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 300)}` };
  }
}

/**
 * Prometheus 2.x hands static targets to its scrapers only after its ~5 s service-discovery delay, so the first
 * scrape lands 5–6 s after start. The start-up waits for it (from Prometheus' start, at most this long) so the
 * first status is not a false "job django: not scraped yet".
 */
const FIRST_SCRAPE_BUDGET_MS = 8000;
/** After a fault switch: the next scrape is ≤ 1 s away, plus ≤ 1 s of scrape timeout. */
const NEXT_SCRAPE_BUDGET_MS = 3000;

export async function launchDemo(opts: LaunchOptions): Promise<number> {
  const base = loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
  const backendPort = await freePort();
  const promStartedAt = Date.now();
  // Started first, on the backend's port-to-be, so Prometheus' discovery delay overlaps the rest of the start-up.
  const promStarting = startDemoPrometheus(backendPort);
  let backend: DemoBackend | undefined;
  let redis: DemoRedis | undefined;
  try {
    redis = new DemoRedis(await startRedisServer(), () => backend?.url);
    const redisPort = (redis.proc as RedisProcess).port;
    const redisUrl = (redis.proc as RedisProcess).url;
    backend = await startDemoBackend({ redisUrl, port: backendPort, debug: true, slowHandshakeMs: 1500, redisPid: () => redis?.proc?.pid });
    const set = faultSetter(backend, redis, redisPort);
    const known = backend.faults.list().map((f) => f.name as string);
    for (const f of opts.faults) {
      if (!known.includes(f)) throw new Error(`unknown fault "${f}"; known: ${known.join(', ')}`);
      await set(f, true);
    }
    const { proc: prom, note } = await promStarting;
    if (prom) {
      if (!opts.once) process.stdout.write(`waiting for the demo Prometheus' first scrape (about 5 s)…\n`);
      const budget = Math.max(NEXT_SCRAPE_BUDGET_MS, promStartedAt + FIRST_SCRAPE_BUDGET_MS - Date.now());
      await waitForScrapeSince(prom.url, DEMO_SCRAPE_JOB, Date.now(), budget);
    }
    const scrapedSince = async (since: number): Promise<void> => {
      if (prom) await waitForScrapeSince(prom.url, DEMO_SCRAPE_JOB, since, NEXT_SCRAPE_BUDGET_MS);
    };
    const extras = faultExtras(backend, redis, set, redisPort, scrapedSince);
    const config = demoConfig(base, backend, redisUrl, prom?.url);
    if (opts.once) {
      const doctor = Doctor.create(config, { stateDir: null });
      try {
        const report = await doctor.status('demo');
        process.stdout.write(renderForStream(statusMessage(report), process.stdout, 'ws-doctor') + '\n');
        // After the verdict, which stays the first line (scripts read it); not on stderr: nothing is wrong.
        if (note) process.stdout.write(`${note}\n`);
        return { ok: 0, degraded: 1, unknown: 1, down: 2 }[report.verdict.overall];
      } finally {
        await doctor.close();
      }
    }
    const stack = `backend ${backend.url}, redis ${redisUrl}${prom ? `, prometheus ${prom.url}` : ''}`;
    await startBot(config, {
      interactive: true,
      extras,
      banner: `ws-doctor demo — ${stack}. Try: status · fault redis-down on · status · heal${note ? `\n${note}` : ''}`,
    });
    return 0;
  } finally {
    await backend?.stop();
    await redis?.proc?.stop();
    await (await promStarting).proc?.stop();
  }
}
