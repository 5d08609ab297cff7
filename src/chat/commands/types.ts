import type { Principal } from '../../remediations/policy';
/**
 * The command registry contract shared by every adapter (Slack, console, CLI). Adding a subcommand is one file
 * exporting a CommandSpec and one line in registry.ts; help picks it up from there.
 */
import type { DoctorApi } from '../../core/api';
import type { MessageModel } from '../model';

export interface CommandContext {
  doctor: DoctorApi;
  /** Resolved environment (from --env or the default). */
  env: string;
  surface: 'slack' | 'console' | 'cli';
  /** How commands are typed here (`/ws`, `ws-doctor`; empty in the console), for help and usage lines. */
  prefix: string;
  /** Who typed it, with the Slack user groups the adapter resolved (the policy matches `S…` entries on them). */
  user?: Principal;
  /** Slack channel the command was typed in (policy's channel allow-list); undefined in the console and CLI. */
  channel?: string;
}

export interface CommandSpec {
  name: string;
  /** e.g. `check <name> [--env E]` */
  usage: string;
  /** Options only Slack has (e.g. `[share]`: answer in the channel), appended to `usage` in Slack's help. */
  slackOptions?: string;
  summary: string;
  examples: string[];
  /** True when the command runs checks: adapters show "checking…" and update in place. */
  slow: boolean;
  /**
   * True when the answer depends only on the environment and the arguments, never on who asked: identical
   * requests in flight then share one answer (and one stored result). Leave it off for anything personal.
   */
  shareable?: boolean;
  /** Returns an error sentence for malformed arguments (after --env/share were taken out), else undefined. */
  validate(args: string[], ctx: Pick<CommandContext, 'doctor' | 'env'>): string | undefined;
  run(ctx: CommandContext, args: string[]): Promise<MessageModel>;
}
