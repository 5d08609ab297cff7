/**
 * Execution guards kept in the state store, per action and target: a cooldown between runs, a sliding
 * one-hour cap (at most 3 restarts of web per hour by default), and a circuit breaker that opens after
 * failed runs in a row. Each refusal says why and until when.
 */
import type { StateStore } from '../state/store';
import type { EffectiveLimits } from './policy';

interface RunWindow {
  runs: number[];
}

interface Breaker {
  failures: number;
  openUntil?: number;
}

export interface GuardRefusal {
  reason: string;
  until: number;
}

const HOUR = 3_600_000;

export class Guards {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => number = Date.now,
  ) {}

  private key(kind: string, env: string, action: string, target: string): string {
    return `${kind}:${env}:${action}:${target}`;
  }

  /** Why the action may not run on this target now, or undefined. */
  async check(env: string, action: string, target: string, limits: EffectiveLimits): Promise<GuardRefusal | undefined> {
    const now = this.now();
    const b = await this.store.get<Breaker>(this.key('breaker', env, action, target));
    if (b?.value.openUntil && b.value.openUntil > now) {
      return {
        reason: `circuit breaker open: ${b.value.failures} failed runs of ${action} in a row on ${target}; it closes at ${iso(b.value.openUntil)}`,
        until: b.value.openUntil,
      };
    }
    const w = await this.store.get<RunWindow>(this.key('runs', env, action, target));
    const runs = (w?.value.runs ?? []).filter((t) => t > now - HOUR).sort((a, c) => a - c);
    const last = runs[runs.length - 1];
    if (last !== undefined && limits.cooldownSeconds > 0 && last + limits.cooldownSeconds * 1000 > now) {
      const until = last + limits.cooldownSeconds * 1000;
      return { reason: `cooldown: ${action} ran on ${target} at ${iso(last)}; next run allowed at ${iso(until)}`, until };
    }
    if (runs.length >= limits.maxPerHour) {
      const until = (runs[runs.length - limits.maxPerHour] ?? now) + HOUR;
      return { reason: `limit: ${action} ran ${runs.length} times on ${target} in the last hour (at most ${limits.maxPerHour}); next run allowed at ${iso(until)}`, until };
    }
    return undefined;
  }

  /** Count a run (before it starts: a run that crashes midway still counts against the limit). */
  async recordRun(env: string, action: string, target: string): Promise<void> {
    const key = this.key('runs', env, action, target);
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.get<RunWindow>(key);
      const now = this.now();
      const runs = [...(cur?.value.runs ?? []).filter((t) => t > now - HOUR), now];
      if ((await this.store.cas(key, cur?.version ?? 0, { runs }, { ttlMs: HOUR })) !== undefined) return;
    }
    throw new Error(`could not record the run of ${action} (store contention)`);
  }

  async recordOutcome(env: string, action: string, target: string, ok: boolean, limits: EffectiveLimits): Promise<Breaker> {
    const key = this.key('breaker', env, action, target);
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.get<Breaker>(key);
      const failures = ok ? 0 : (cur?.value.failures ?? 0) + 1;
      const next: Breaker = failures >= limits.breakerFailures ? { failures, openUntil: this.now() + limits.breakerOpenSeconds * 1000 } : { failures };
      if ((await this.store.cas(key, cur?.version ?? 0, next)) !== undefined) return next;
    }
    throw new Error(`could not record the outcome of ${action} (store contention)`);
  }
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
