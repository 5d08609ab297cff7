/**
 * The contract every check satisfies. A check asks one question of one part of the stack and answers with a
 * Finding; it never throws for a broken target (a broken target is a `fail` finding, an unreachable one
 * `unknown` or `fail` as the check decides). The runner converts an unexpected throw into `unknown`.
 */
import type { EnvConfig } from '../config/schema';
import type { Targets } from '../targets/targets';

export type Status = 'ok' | 'warn' | 'fail' | 'unknown';

/** Evidence is numbers and short facts, never prose and never secrets. */
export type EvidenceValue = string | number | boolean | null;
export type Evidence = Record<string, EvidenceValue>;

export interface Finding {
  /** Registry name of the check, e.g. `token-issuance`. */
  check: string;
  status: Status;
  /** One line, human readable, already redacted. */
  summary: string;
  evidence: Evidence;
  durationMs: number;
  /** Where the guide / target-system.md explain this, e.g. `target-system §2.1, check 4`. */
  ref: string;
  /** Machine-readable cause hints for diagnosis, e.g. `redis-down`, `ssl-redirect` (see diagnosis/causes.ts). */
  signals?: string[];
}

/** What a check's run() returns; the runner adds name, duration and ref. */
export interface CheckOutcome {
  status: Status;
  summary: string;
  evidence?: Evidence;
  signals?: string[];
  /**
   * Values later checks in the same run may use (a connection token, a cookie). Never rendered, never logged.
   */
  artifacts?: Record<string, unknown>;
}

export interface CheckResultWithArtifacts {
  finding: Finding;
  artifacts: Record<string, unknown>;
}

export interface CheckContext {
  envName: string;
  env: EnvConfig;
  targets: Targets;
  /** Aborted when this check's own timeout or the run's deadline passes. */
  signal: AbortSignal;
  /** Result of a check listed in `after`; resolves once that check has finished (or timed out). */
  resultOf(name: string): Promise<CheckResultWithArtifacts | undefined>;
}

export interface Check {
  /** Registry name, kebab-case, stable: used in `/ws check <name>`, history and alert rules. */
  readonly name: string;
  /** Short human title. */
  readonly title: string;
  /** Guide / target-system section. */
  readonly ref: string;
  /** Checks whose results this one reads; they are run too, even when only this one was asked for. */
  readonly after?: readonly string[];
  /** Own timeout; defaults to config `checks.timeoutMs`. */
  timeoutMs?(env: EnvConfig): number;
  /** Whether the check applies in this environment (e.g. docker configured). Defaults to true. */
  enabled?(env: EnvConfig): boolean;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}
