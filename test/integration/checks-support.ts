/**
 * Shared set-up of the checks' integration tests: an EnvConfig pointing at a real redis-server and the demo
 * backend, real Targets, and a runner call for a few named checks (dependencies included).
 */
import { environmentSchema, type EnvConfig } from '../../src/config/schema';
import { allChecks } from '../../src/checks/registry';
import { runChecks, withDependencies } from '../../src/checks/runner';
import type { Finding } from '../../src/checks/types';
import { buildTargets } from '../../src/targets/build';
import type { Targets } from '../../src/targets/targets';

export interface StackUrls {
  backendUrl: string;
  redisUrl: string;
  prometheusUrl?: string;
}

/** Partial overrides merged into the generated env (one level deep per section). */
export type EnvOverrides = { [K in keyof EnvConfig]?: Record<string, unknown> };

export function testEnv(urls: StackUrls, password: string | undefined, overrides: EnvOverrides = {}): EnvConfig {
  const o = overrides as Record<string, Record<string, unknown> | undefined>;
  return environmentSchema.parse({
    backend: { url: urls.backendUrl, serviceAccount: password !== undefined ? { password } : {}, timeoutMs: 2500, ...o.backend },
    redis: { url: urls.redisUrl, commandTimeoutMs: 1500, ...o.redis },
    prometheus: { url: urls.prometheusUrl ?? 'http://127.0.0.1:9', ...o.prometheus },
    metrics: { ...o.metrics },
    checks: { deadlineMs: 8000, timeoutMs: 5000, ...o.checks },
  });
}

export function targetsFor(env: EnvConfig, envName = 'test'): Targets {
  return buildTargets(envName, env);
}

/** Run the named checks (and what they depend on) through the real runner; findings by check name. */
export async function run(targets: Targets, names: string[]): Promise<Record<string, Finding>> {
  const checks = withDependencies(names, allChecks);
  const res = await runChecks({ envName: targets.envName, env: targets.env, targets, checks });
  return Object.fromEntries(res.findings.map((f) => [f.check, f]));
}

export async function runOne(targets: Targets, name: string): Promise<Finding> {
  const f = (await run(targets, [name]))[name];
  if (!f) throw new Error(`no finding for ${name}`);
  return f;
}

/** A finding must never carry a secret: no JWT, no 43-char token, no cookie value. */
export function expectNoSecrets(f: Finding, ...secrets: string[]): void {
  const text = JSON.stringify(f);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
  for (const s of secrets) if (s) expect(text).not.toContain(s);
}
