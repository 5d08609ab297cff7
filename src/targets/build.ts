/** Builds the Targets of one environment. Each target file owns its client; this only wires them. */
import type { EnvConfig } from '../config/schema';
import { RedisTarget } from './redis';
import { DockerTarget } from './docker';
import type { Targets } from './targets';
import { envSecret } from '../config/secrets';
import { HttpTarget } from './http';
import { ProbeSession, type LoginCache } from './session';
import { PrometheusTarget } from './prometheus';
import { wsBaseUrl } from './websocket';

/** `loginCache`: where the probe login outlives the process (the Doctor's state store). */
export function buildTargets(envName: string, env: EnvConfig, loginCache?: LoginCache): Targets {
  const password = env.redis.password ?? envSecret(envName, 'REDIS_PASSWORD');
  const redis = new RedisTarget({ url: env.redis.url, ...(password !== undefined ? { password } : {}) });
  const b = env.backend;
  const http = new HttpTarget({ baseUrl: b.url, timeoutMs: b.timeoutMs, ...(b.forwardedProto ? { forwardedProto: b.forwardedProto } : {}) });
  const servicePassword = b.serviceAccount.password ?? envSecret(envName, 'SERVICE_PASSWORD');
  const session = new ProbeSession({
    http,
    loginPath: b.paths.login,
    email: b.serviceAccount.email,
    ...(servicePassword !== undefined ? { password: servicePassword } : {}),
    cookieReuseSeconds: b.cookieReuseSeconds,
    loginPerMinute: b.loginPerMinute,
    ...(loginCache ? { cache: loginCache } : {}),
  });
  let docker: DockerTarget | undefined;
  return {
    envName,
    env,
    docker: () => (env.docker.enabled ? (docker ??= DockerTarget.fromConfig(env.docker)) : undefined),
    redis: (db) => redis.client(db),
    http,
    wsUrl: wsBaseUrl(b.url, b.wsUrl),
    session,
    prometheus: new PrometheusTarget({ url: env.prometheus.url, timeoutMs: env.prometheus.timeoutMs }),
    async close() {
      await redis.close();
      await docker?.close();
    },
  };
}
