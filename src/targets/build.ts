/** Builds the Targets of one environment. Each target file owns its client; this only wires them. */
import type { EnvConfig } from '../config/schema';
import { RedisTarget } from './redis';
import type { Targets } from './targets';
import { envSecret } from '../config/secrets';

export function buildTargets(envName: string, env: EnvConfig): Targets {
  const password = env.redis.password ?? envSecret(envName, 'REDIS_PASSWORD');
  const redis = new RedisTarget({ url: env.redis.url, ...(password !== undefined ? { password } : {}) });
  return {
    envName,
    env,
    redis: (db) => redis.client(db),
    async close() {
      await redis.close();
    },
  };
}
