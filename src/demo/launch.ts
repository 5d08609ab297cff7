/**
 * `npm run demo`: a private redis-server, the AllThrive-compatible demo backend on it, and the bot pointed at
 * both — Slack when credentials are set, the console otherwise, with `fault <name> on|off` to break the stack
 * and watch the diagnosis change. Everything started here is stopped here, by pid.
 */
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { environmentSchema } from '../config/schema';
import type { ConsoleExtra } from '../console/console';
import { startBot } from '../main';
import { Doctor } from '../doctor';
import { statusMessage } from '../chat/status-message';
import { renderText } from '../console/render';
import { startRedisServer } from './redis-process';
import { DEMO_SERVICE_ACCOUNT, startDemoBackend, type DemoBackend, type FaultName } from './index';

export interface LaunchOptions {
  once: boolean;
  faults: string[];
  config?: string | undefined;
}

/** The demo environment: the stock local-compose defaults, pointed at the demo's ports. */
export function demoConfig(base: Config, backend: DemoBackend, redisUrl: string): Config {
  const demo = environmentSchema.parse({
    description: 'bundled demo stack (npm run demo)',
    backend: { url: backend.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password } },
    redis: { url: redisUrl },
    // The demo has no Prometheus server and no Docker engine; those checks would only report "unreachable".
    prometheus: { enabled: false },
    docker: { enabled: false },
  });
  return { ...base, defaultEnv: 'demo', environments: { ...base.environments, demo }, stateDir: base.stateDir };
}

function faultExtras(backend: DemoBackend): ConsoleExtra[] {
  const names = (): string[] => backend.faults.list().map((f) => f.name);
  return [
    {
      name: 'faults',
      usage: 'faults',
      summary: 'list the demo fault switches',
      run: () => backend.faults.list().map((f) => `  ${f.on ? '●' : '○'} ${f.name.padEnd(22)} ${f.description}`).join('\n'),
    },
    {
      name: 'fault',
      usage: 'fault <name> on|off',
      summary: 'break (or mend) the demo stack',
      run: ([name, state]) => {
        if (!name || !names().includes(name) || (state !== 'on' && state !== 'off')) {
          return `usage: fault <name> on|off — names: ${names().join(', ')}`;
        }
        backend.faults.set(name as FaultName, state === 'on');
        return `fault ${name} is ${state}; run \`status\` to see the diagnosis.`;
      },
    },
    {
      name: 'heal',
      usage: 'heal',
      summary: 'switch every fault off',
      run: () => (backend.faults.clear(), 'all faults off'),
    },
  ];
}

export async function launchDemo(opts: LaunchOptions): Promise<number> {
  const base = loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
  const redis = await startRedisServer();
  let backend: DemoBackend | undefined;
  try {
    backend = await startDemoBackend({ redisUrl: redis.url, debug: true });
    const known = backend.faults.list().map((f) => f.name as string);
    for (const f of opts.faults) {
      if (!known.includes(f)) throw new Error(`unknown fault "${f}"; known: ${known.join(', ')}`);
      backend.faults.set(f as FaultName, true);
    }
    const config = demoConfig(base, backend, redis.url);
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
      extras: faultExtras(backend),
      banner: `ws-doctor demo — backend ${backend.url}, redis ${redis.url} (pid ${redis.pid}). Try: status · fault redis-down on · status · heal`,
    });
    return 0;
  } finally {
    await backend?.stop();
    await redis.stop();
  }
}
