/**
 * The demo stack on real peers, for any test that needs "a healthy stack": a redis-server of its own and the
 * demo backend (Django-like HTTP + WebSocket endpoints) on it, plus the ws-doctor config pointing at both.
 * Stopped by handle in `stop()`.
 */
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend, type DemoBackendOptions } from '../../src/demo/index';
import { startRedisServer, type RedisProcess } from './redis';

export interface DemoStack {
  redis: RedisProcess;
  backend: DemoBackend;
  config: Config;
  stop(): Promise<void>;
}

export interface DemoStackOptions {
  /** Backend switches over the defaults (e.g. `debug: false` for production rate limits). */
  backend?: Partial<DemoBackendOptions>;
  /** Config file input the demo config is built on (e.g. a remediation `policy`). */
  config?: Record<string, unknown>;
}

export async function startDemoStack(opts: DemoStackOptions = {}): Promise<DemoStack> {
  const redis = await startRedisServer();
  let backend: DemoBackend;
  try {
    // Generous login rate: a test's many runs must not trip the backend's own limiter.
    backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000, ...opts.backend });
  } catch (err) {
    await redis.stop();
    throw err;
  }
  const config = demoConfig(parseConfig(opts.config ?? {}), backend, redis.url);
  return {
    redis,
    backend,
    config,
    async stop() {
      await backend.stop();
      await redis.stop();
    },
  };
}
