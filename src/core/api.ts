/**
 * The core's own API: what every adapter (Slack, console, CLI) and every later subsystem (scheduler, alerts,
 * remediations) may ask of the Doctor. It lives in the core room, not the chat room: the core must be usable —
 * and testable — with no chat adapter at all. Implemented by core/doctor.ts.
 */
import type { AlertsApi } from '../alerts/api';
import type { StatusReport } from '../diagnosis/types';
import type { RemediationEngine } from '../remediations/engine';
import type { HistoryEntry } from '../state/history';

export interface LogsQuery {
  service?: string;
  sinceSeconds: number;
  grep?: string;
  tail: number;
}

export interface LogsResult {
  service: string;
  container: string;
  lines: string[];
  truncated: boolean;
  /** Lines in the window (matching --grep, if given) before the tail was applied. */
  matched?: number;
  /** Whether every line of the window was read: false when --grep stopped at its scan limit. */
  windowScanned?: boolean;
}

/** One run of a scheduled job, as remembered in the state store (any replica's). */
export interface ScheduledJobRun {
  at: string;
  ok: boolean;
  ms: number;
  note?: string;
  /** Which replica ran it. */
  by: string;
}

/** A scheduled job as `/ws schedule` shows it. */
export interface ScheduledJobInfo {
  name: string;
  description: string;
  cron: string;
  timezone: string;
  lastRun?: ScheduledJobRun;
  nextRun?: string;
  /** Running on this replica right now. */
  running: boolean;
}

export interface ScheduleView {
  jobs: ScheduledJobInfo[];
  /** This replica's id and whether it holds the scheduler lease. */
  replica: string;
  leader: boolean;
}

export interface DoctorApi {
  readonly defaultEnv: string;
  envNames(): string[];
  checkNames(env: string): string[];
  /** Run all (or the named) checks; concurrent identical calls share one run. */
  status(env: string, opts?: { checks?: string[] }): Promise<StatusReport>;
  /** Last results per check, newest first. */
  history(env: string, opts?: { check?: string; limit?: number }): Promise<HistoryEntry[]>;
  /** Last full report per environment (App Home board). */
  lastReport(env: string): StatusReport | undefined;
  /**
   * Container logs through the Docker engine. Rejects with an error whose message carries the reason and the
   * fix when the engine is not configured (`docker.enabled` false) or cannot be reached.
   */
  logs(env: string, q: LogsQuery): Promise<LogsResult>;
  /** Why `logs` cannot work for this environment (one sentence with the fix), or undefined when it can. */
  logsUnavailable(env: string): string | undefined;
  /** Guarded remediations (policy, approvals, locks, audit), kept in the bot's state store. */
  readonly remediations?: RemediationEngine;
  /** The scheduled jobs (set when the bot runs its scheduler; absent in the console and one-shot commands). */
  schedule?(): Promise<ScheduleView>;
  /** The alerts core, when alert rules run in this process (`/ws alerts`, `/ws maintenance`, card buttons). */
  readonly alerts?: AlertsApi;
}
