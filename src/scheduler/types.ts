/**
 * The scheduler's vocabulary. A job is a cron pattern and a function; the scheduler makes sure one replica
 * runs each fire (scheduler/coordinator.ts), never two at once on one replica (node-cron `noOverlap`), and
 * remembers the last run in the state store so `/ws schedule` shows the same thing on every replica.
 */
import type { ScheduledJobInfo } from '../core/api';

export interface JobContext {
  /** The scheduled time of this fire (the same on every replica: the key of the fire). */
  slot: Date;
  /** Fencing token of the scheduler lease this fire ran under; guarded writes carry it. */
  fence: number;
  /** Aborted when the bot is stopping: long jobs stop early and say so. */
  signal: AbortSignal;
}

export interface JobSpec {
  name: string;
  /** One line for `/ws schedule`. */
  description: string;
  /** node-cron pattern (5 fields, or 6 with seconds first). */
  cron: string;
  /** IANA time zone of the pattern; default UTC. */
  timezone?: string;
  /** Returns a short note on what it did (`posted change on prod`, `no change`). */
  run(ctx: JobContext): Promise<string | void>;
}

export type { ScheduledJobInfo as JobInfo, ScheduledJobRun as JobRun } from '../core/api';

/** A verdict change as the scheduled status job reports it (adapters turn it into a message). */
export interface StatusChangeView {
  env: string;
  from?: string;
  fromAt?: string;
  to: string;
  headline: string;
  nextStep?: string;
  at: string;
  /** Checks whose status moved, worst new status first. */
  checks: Array<{ check: string; from?: string; to?: string }>;
}

export interface DigestSection {
  title: string;
  /** Plain text lines (adapters escape them). */
  lines: string[];
}

export interface DigestView {
  since: string;
  until: string;
  uptime: Array<{ env: string; runs: number; checks: Array<{ check: string; up: number; total: number }> }>;
  incidents: Array<{ env: string; at: string; from?: string; to: string; headline: string }>;
  /** Sections other parts of the bot add (remediations, alerts). */
  sections: DigestSection[];
}

/** Where scheduled reports go: the Slack adapter implements it (slack/notifier.ts). */
export interface Notifier {
  statusChanged(channel: string, view: StatusChangeView): Promise<void>;
  digest(channel: string, view: DigestView): Promise<void>;
}
