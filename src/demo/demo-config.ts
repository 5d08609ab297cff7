import type { Config } from '../config/schema';
import { environmentSchema } from '../config/schema';
import type { DemoBackend } from './index';
import type { ScrapeTargetSpec } from './prometheus-process';
import { DEMO_SERVICE_ACCOUNT } from './users';

/** The scrape job of the web service, as the real stack's `monitoring/prometheus.yml` names it (§6). */
export const DEMO_SCRAPE_JOB = 'django';

/**
 * The demo Prometheus' scrape config: what the real `monitoring/prometheus.yml` does for the web service —
 * job `django`, path `/metrics` — pointed at the demo backend (`host:port`). So the demo's `metrics-wrong-path`
 * fault (exporter only at `/metricsmetrics`) makes the scrape fail, the real-world blind spot of §6.
 */
export function demoScrapeTargets(backendHostPort: string): ScrapeTargetSpec[] {
  return [{ job: DEMO_SCRAPE_JOB, target: backendHostPort, metricsPath: '/metrics' }];
}

/**
 * The demo environment: the stock local-compose defaults, pointed at the demo's ports. With `prometheusUrl`
 * (the demo's own Prometheus, scraping as `demoScrapeTargets` says) the prometheus check runs against it;
 * without, it is off.
 */
export function demoConfig(base: Config, backend: DemoBackend, redisUrl: string, prometheusUrl?: string): Config {
  const demo = environmentSchema.parse({
    description: 'bundled demo stack (npm run demo)',
    backend: { url: backend.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password } },
    redis: { url: redisUrl },
    // Without a Prometheus server (binary not installed) the check would only report "unreachable"; the demo
    // has no Docker engine either.
    prometheus: prometheusUrl ? { url: prometheusUrl, job: DEMO_SCRAPE_JOB } : { enabled: false },
    docker: { enabled: false },
  });
  return { ...base, defaultEnv: 'demo', environments: { ...base.environments, demo }, stateDir: base.stateDir };
}
