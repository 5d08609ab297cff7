import type { Config } from '../config/schema';
import { environmentSchema } from '../config/schema';
import type { DemoBackend } from './index';
import { DEMO_SERVICE_ACCOUNT } from './users';

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

