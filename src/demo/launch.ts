/**
 * `npm run demo`: a private redis-server, the AllThrive-compatible demo backend on it, and the bot pointed at
 * both — Slack when credentials are set, the console otherwise, with `fault <name> on|off` to break the stack
 * and watch the diagnosis change. Everything started here is stopped here, by pid.
 */
import { loadConfig } from '../config/load';
import type { ConsoleExtra } from '../console/console';
import { startBot } from '../main';
import { Doctor } from '../doctor';
import { statusMessage } from '../chat/status-message';
import { renderText } from '../console/render';
import { startRedisServer, type RedisProcess } from './redis-process';
import { demoConfig } from './demo-config';
import { startDemoBackend, type DemoBackend, type FaultName } from './index';

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

function faultExtras(backend: DemoBackend, redis: DemoRedis, redisPort: number): ConsoleExtra[] {
  const names = (): string[] => backend.faults.list().map((f) => f.name);
  const lines = (): string[] =>
    backend.faults.list().map((f) => {
      const on = f.name === 'redis-down' ? redis.down : f.on;
      const description = f.name === 'redis-down' ? 'stop the demo redis-server (a real outage for backend and bot)' : f.description;
      return `  ${on ? '●' : '○'} ${f.name.padEnd(22)} ${description}`;
    });
  const set = async (name: string, on: boolean): Promise<void> => {
    if (name === 'redis-down') await redis.setDown(redisPort, on);
    else backend.faults.set(name as FaultName, on);
  };
  return [
    { name: 'faults', usage: 'faults', summary: 'list the demo fault switches', run: () => lines().join('\n') },
    {
      name: 'fault',
      usage: 'fault <name> on|off',
      summary: 'break (or mend) the demo stack',
      run: async ([name, state]) => {
        if (!name || !names().includes(name) || (state !== 'on' && state !== 'off')) {
          return `usage: fault <name> on|off — names: ${names().join(', ')}`;
        }
        await set(name, state === 'on');
        return `fault ${name} is ${state}; run \`status\` to see the diagnosis.`;
      },
    },
    {
      name: 'heal',
      usage: 'heal',
      summary: 'switch every fault off',
      run: async () => {
        backend.faults.clear();
        await redis.setDown(redisPort, false);
        return 'all faults off';
      },
    },
  ];
}

export async function launchDemo(opts: LaunchOptions): Promise<number> {
  const base = loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
  let backend: DemoBackend | undefined;
  const redis = new DemoRedis(await startRedisServer(), () => backend?.url);
  const redisPort = (redis.proc as RedisProcess).port;
  const redisUrl = (redis.proc as RedisProcess).url;
  try {
    backend = await startDemoBackend({ redisUrl, debug: true, slowHandshakeMs: 1500 });
    const extras = faultExtras(backend, redis, redisPort);
    const known = backend.faults.list().map((f) => f.name as string);
    for (const f of opts.faults) {
      if (!known.includes(f)) throw new Error(`unknown fault "${f}"; known: ${known.join(', ')}`);
      await extras[1]!.run([f, 'on']);
    }
    const config = demoConfig(base, backend, redisUrl);
    if (opts.once) {
      const doctor = Doctor.create(config, { stateDir: null });
      try {
        const report = await doctor.status('demo');
        process.stdout.write(renderText(statusMessage(report), { color: Boolean(process.stdout.isTTY) }) + '\n');
        return { ok: 0, degraded: 1, unknown: 1, down: 2 }[report.verdict.overall];
      } finally {
        await doctor.close();
      }
    }
    await startBot(config, {
      interactive: true,
      extras,
      banner: `ws-doctor demo — backend ${backend.url}, redis ${redisUrl}. Try: status · fault redis-down on · status · heal`,
    });
    return 0;
  } finally {
    await backend?.stop();
    await redis.proc?.stop();
  }
}
