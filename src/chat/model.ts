/**
 * Message models: what the bot says, independent of where it is said. Slack renders them to Block Kit
 * (slack/render.ts), the console to terminal text (console/render.ts). Core code builds these and never
 * imports `@slack/*`. Every text here is already redacted by whoever built it.
 */
import type { Status } from '../checks/types';
import type { Overall } from '../diagnosis/types';

export interface CheckRow {
  status: Status;
  name: string;
  summary: string;
  durationMs: number;
  /** Set when a root cause explains this row's failure (rendered as "← explained by …"). */
  explainedBy?: string;
}

export interface MessageAction {
  /** Id of the action in chat/actions/registry.ts that a press runs: `rerun`, `details`, `share`, `approve`, … */
  kind: string;
  label: string;
  /** What a screen reader says for the button (Slack's `accessibility_label`): what pressing it does. */
  accessibilityLabel?: string;
  /**
   * The action's value (JSON, checked against the action's schema on press). Adapters seal it before it leaves
   * the bot (chat/actions/seal.ts): what comes back is verified, never trusted as sent.
   */
  value: unknown;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export type MessageBlock =
  | { type: 'header'; text: string }
  | { type: 'verdict'; overall: Overall; text: string }
  | { type: 'text'; text: string }
  | { type: 'checks'; rows: CheckRow[] }
  | { type: 'fields'; fields: Array<{ label: string; value: string }> }
  | { type: 'code'; text: string }
  | { type: 'context'; text: string }
  | { type: 'divider' }
  | { type: 'actions'; actions: MessageAction[] };

export interface MessageModel {
  /** Plain-text fallback for notifications and screen readers; always set, kept short. */
  text: string;
  blocks: MessageBlock[];
  /** Long evidence, shown behind a "Details" button or in a thread, never inline. */
  details?: MessageModel;
  /** Whether the answer should go to the channel rather than to the asker only. */
  visibility?: 'private' | 'channel';
}

export const STATUS_EMOJI: Record<Status, string> = { ok: '✅', warn: '⚠️', fail: '❌', unknown: '❔' };
export const OVERALL_EMOJI: Record<Overall, string> = { ok: '✅', degraded: '⚠️', down: '🔴', unknown: '❔' };
