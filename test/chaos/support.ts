/**
 * Shared fixtures for chaos areas: the demo stack on a real redis-server, a Doctor on it, and the Slack
 * stand-in + real Slack adapter. Each area file starts what it needs in beforeAll and stops it in afterAll.
 */
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { startRedisServer, type RedisProcess } from '../peers/redis';

export interface DemoStack {
  redis: RedisProcess;
  backend: DemoBackend;
  config: Config;
  stop(): Promise<void>;
}

export async function startDemoStack(): Promise<DemoStack> {
  const redis = await startRedisServer();
  const backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  const config = demoConfig(parseConfig({}), backend, redis.url);
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
