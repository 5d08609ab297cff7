/**
 * The contract every remediation satisfies (one file per action under actions/, one line in registry.ts).
 *
 * An action never runs without its preview: `preview()` is a dry run that says exactly what would be touched
 * (containers with uptime and restart count, or a key count with redacted samples and the DB number), and
 * its `touches` list is what the approval is bound to (digest) and what drift detection compares before
 * executing. `execute()` does the work and reports progress; `verify` names the checks that must pass after.
 *
 * Actions know nothing of Slack, approval or locks: the flow engine (engine.ts) wraps every one of them the
 * same way.
 */
import type { z } from 'zod';
import type { EnvConfig } from '../config/schema';
import type { Targets } from '../targets/targets';

export type RiskLevel = 'low' | 'medium' | 'high';

export interface ActionContext {
  envName: string;
  env: EnvConfig;
  targets: Targets;
  signal: AbortSignal;
}

/** One line of what a preview shows; `detail` is already redacted. */
export interface PreviewItem {
  kind: 'container' | 'keys' | 'key' | 'note';
  /** Container name, `db 2 · allthrive:1:ws_conn_token:*`, the key name … */
  label: string;
  detail: string;
}

export interface Preview {
  /** One sentence: what will happen. */
  summary: string;
  items: PreviewItem[];
  /**
   * Stable identities of everything the action would touch (`container:<id>:<state>`, `keys:db2:…:~10^3`,
   * `key:db2:ava:lock:c1=<hash of value>`). The approval is bound to their digest; a different list at
   * execution time is drift and needs a new approval.
   */
  touches: string[];
  /** False when there is nothing to do (no matching keys, lock already gone) or the target is unusable. */
  actionable: boolean;
  /** Why it is not actionable, or a warning worth reading before approving. */
  warning?: string;
}

export interface StepReport {
  /** `restart web`, `unlink batch 12` … shown as progress in the same message. */
  step: string;
  done: boolean;
}

export interface ExecuteResult {
  ok: boolean;
  /** One line: `restarted allthriveai-web-1 in 2.1 s`, `unlinked 1 000 000 keys in 4.2 s`. */
  summary: string;
  /** Numbers worth keeping in the audit log. */
  facts: Record<string, string | number | boolean>;
  error?: string;
  fix?: string;
}

export interface RemediationAction<A = Record<string, string>> {
  /** Stable id used in `/ws remediate <id>`, policy keys, audit records and diagnosis (`restart-redis`). */
  readonly id: string;
  readonly title: string;
  /** target-system.md "Remediations" row, e.g. `R1`. */
  readonly ref: string;
  readonly risk: RiskLevel;
  /** Who or what is affected, in one sentence (shown on the approval card). */
  readonly blastRadius: string;
  /** Positional arguments, in order (`clear-leaked-counters <user-id>`). */
  readonly params: ReadonlyArray<{ name: string; description: string }>;
  /** Validates the named arguments; errors name the parameter. */
  readonly argsSchema: z.ZodType<A>;
  /** Checks that must pass after execution (names from checks/registry.ts). */
  readonly verify: readonly string[];
  /** Actions worth offering once this one succeeded (restart-redis → restart-backend). */
  readonly followUps?: readonly string[];
  /** Default limits; policy may tighten or loosen them per action. */
  readonly limits: { cooldownSeconds: number; maxPerHour: number };
  /**
   * Lock names this action needs (one per target, e.g. `service:web`): two remediations on one target never
   * overlap. restart-all takes every service's lock.
   */
  locks(args: A, env: EnvConfig): string[];
  preview(ctx: ActionContext, args: A): Promise<Preview>;
  /** `approved` is the preview the approval was bound to (already re-checked for drift by the engine). */
  execute(ctx: ActionContext, args: A, progress: (s: StepReport) => void, approved: Preview): Promise<ExecuteResult>;
}

/** Any action, for registries and the engine (arguments are validated by the action's own schema first). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAction = RemediationAction<any>;

/** A manual fix the bot cannot (and should not) press for you: a guided card with the exact setting. */
export interface Runbook {
  readonly id: string;
  readonly title: string;
  readonly ref: string;
  /** What is wrong when this runbook applies. */
  readonly symptom: string;
  /** Ordered steps; each names the exact file/variable and value. */
  readonly steps: ReadonlyArray<{ text: string; code?: string }>;
  /** How to prove it worked (check names to re-run). */
  readonly verify: readonly string[];
}
