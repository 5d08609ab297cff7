/**
 * Shared by the container checks (containers, container-restarts, backend-logs, frontend-conflict): the
 * engine-unreachable outcome, the time budget that keeps a check's own `unknown` ahead of the runner's
 * timeout, the snapshot handed from `containers` to the others, and the service → signal names.
 */
import type { EnvConfig } from '../config/schema';
import { DockerUnavailableError, type DockerTarget, type ProjectSnapshot } from '../targets/docker';
import { classifyDockerError } from '../targets/docker-errors';
import type { Check, CheckContext, CheckOutcome } from './types';

export const SNAPSHOT_ARTIFACT = 'dockerSnapshot';

/** Signal raised when a service's containers are down (missing, stopped, unhealthy, crash-looping). */
export const DOWN_SIGNAL: Readonly<Record<string, string>> = {
  web: 'web-container-down',
  redis: 'redis-container-down',
  celery: 'celery-down',
  db: 'db-down',
};

/** The check's own timeout: a per-check override, else enough for one engine call plus margin. */
export function dockerCheckTimeout(name: string, env: EnvConfig): number {
  return env.checks.timeouts[name] ?? Math.max(env.checks.timeoutMs, env.docker.timeoutMs + 500);
}

/**
 * Time left for engine calls in this check: the engine timeout, kept a little short of the check's own timeout
 * so the check answers `unknown` itself rather than being cut off by the runner.
 */
export class Budget {
  private readonly until: number;
  constructor(name: string, env: EnvConfig) {
    const own = dockerCheckTimeout(name, env);
    const total = Math.max(200, Math.min(env.docker.timeoutMs, own - Math.min(500, Math.floor(own * 0.15))));
    this.until = Date.now() + total;
  }
  remaining(): number {
    return Math.max(1, this.until - Date.now());
  }
}

export function dockerEnabled(env: EnvConfig): boolean {
  return env.docker.enabled;
}

export function notConfigured(): CheckOutcome {
  return {
    status: 'unknown',
    summary: 'Docker is not configured for this environment (docker.enabled is false)',
    evidence: { fix: 'set docker.enabled: true and docker.socketPath or docker.host' },
  };
}

/** An engine failure as a finding: `unknown`, with the reason and the fix. */
export function engineFailure(err: unknown, target: DockerTarget, what: string): CheckOutcome {
  const e = err instanceof DockerUnavailableError ? err : classifyDockerError(err, target.endpoint, what);
  const unreachable = e.unreachable;
  return {
    status: 'unknown',
    summary: unreachable ? `Docker engine unreachable: ${e.reason} — fix: ${e.fix}` : `${what} failed: ${e.reason}`,
    evidence: { endpoint: target.describe(), error: e.code, reason: e.reason, fix: e.fix },
    ...(unreachable ? { signals: ['docker-unreachable'] } : {}),
  };
}

/** The snapshot the `containers` check took in this run, if it took one. */
export async function sharedSnapshot(ctx: CheckContext): Promise<ProjectSnapshot | undefined> {
  const r = await ctx.resultOf('containers');
  const s = r?.artifacts[SNAPSHOT_ARTIFACT];
  return s && typeof s === 'object' && 'containers' in s ? (s as ProjectSnapshot) : undefined;
}

/** The shared snapshot, or a fresh one. */
export async function snapshotFor(ctx: CheckContext, target: DockerTarget, budget: Budget): Promise<ProjectSnapshot> {
  return (await sharedSnapshot(ctx)) ?? (await target.snapshot({ signal: ctx.signal, timeoutMs: budget.remaining() }));
}

export function secondsSince(d: Date | undefined, now = Date.now()): number | null {
  return d ? Math.max(0, Math.round((now - d.getTime()) / 1000)) : null;
}

export function ago(seconds: number | null): string {
  if (seconds === null) return 'at an unknown time';
  if (seconds < 90) return `${seconds}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

export interface DockerCheckSpec {
  name: string;
  title: string;
  ref: string;
  after?: readonly string[];
  /** The check's body, given the environment's engine client and this run's time budget for engine calls. */
  run(ctx: CheckContext, target: DockerTarget, budget: Budget): Promise<CheckOutcome>;
}

/**
 * A check over the Docker Engine API: disabled when `docker.enabled` is false, timed by dockerCheckTimeout,
 * `unknown` when the environment has no engine client. The body only says what it asks of the engine.
 */
export function dockerCheck(spec: DockerCheckSpec): Check {
  return {
    name: spec.name,
    title: spec.title,
    ref: spec.ref,
    ...(spec.after ? { after: spec.after } : {}),
    enabled: dockerEnabled,
    timeoutMs: (env) => dockerCheckTimeout(spec.name, env),
    async run(ctx) {
      const target = ctx.targets.docker();
      if (!target) return notConfigured();
      return spec.run(ctx, target, new Budget(spec.name, ctx.env));
    },
  };
}
