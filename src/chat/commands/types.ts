/**
 * The command registry contract shared by every adapter (Slack, console, CLI). Adding a subcommand is one file
 * exporting a CommandSpec and one line in registry.ts; help picks it up from there.
 */
import type { StatusReport } from '../../diagnosis/types';
import type { MessageModel } from '../model';
import type { Finding } from '../../checks/types';

export interface HistoryEntry {
  env: string;
  at: string;
  finding: Finding;
}

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
}

/** What commands may ask of the core. Implemented by src/doctor.ts. */
export interface DoctorApi {
  readonly defaultEnv: string;
  envNames(): string[];
  checkNames(env: string): string[];
  /** Run all (or the named) checks; concurrent identical calls share one run. */
  status(env: string, opts?: { checks?: string[] }): Promise<StatusReport>;
  /** Last results per check, newest first. */
  history(env: string, opts?: { check?: string; limit?: number }): HistoryEntry[];
  /** Last full report per environment (App Home board). */
  lastReport(env: string): StatusReport | undefined;
  /** Container logs, when the Docker engine is configured; undefined when it is not. */
  logs?(env: string, q: LogsQuery): Promise<LogsResult>;
}

export interface CommandContext {
  doctor: DoctorApi;
  /** Resolved environment (from --env or the default). */
  env: string;
  surface: 'slack' | 'console' | 'cli';
  /** How commands are typed here (`/ws`, `ws-doctor`), for help and usage lines. */
  prefix: string;
  user?: { id: string; name?: string };
}

export interface CommandSpec {
  name: string;
  /** e.g. `check <name> [--env E]` */
  usage: string;
  summary: string;
  examples: string[];
  /** True when the command runs checks: adapters show "checking…" and update in place. */
  slow: boolean;
  /** Returns an error sentence for malformed arguments (after --env/share were taken out), else undefined. */
  validate(args: string[], ctx: Pick<CommandContext, 'doctor' | 'env'>): string | undefined;
  run(ctx: CommandContext, args: string[]): Promise<MessageModel>;
}
