/** A remediation request as kept in the state store (`remediation:<id>`), from request to its last word. */
import type { Principal } from './policy';
import type { ExecuteResult, Preview } from './types';

export type RequestState =
  /** Waiting for an approver (also after drift: a new preview needs a new approval). */
  | 'pending'
  /** Approved; the guards run next. */
  | 'approved'
  | 'executing'
  | 'verifying'
  | 'succeeded'
  /** Executed, but it failed or the checks did not pass before the deadline. */
  | 'failed'
  | 'denied'
  | 'expired'
  /** A guard said no (cooldown, breaker, lock held, nothing to do): nothing was touched. */
  | 'refused'
  /** The bot stopped while executing; not re-run. */
  | 'interrupted';

export const FINAL_STATES: readonly RequestState[] = ['succeeded', 'failed', 'denied', 'expired', 'refused', 'interrupted'];

export interface CheckLine {
  check: string;
  status: string;
  summary: string;
}

export interface StoredPreview extends Preview {
  id: string;
  digest: string;
  at: string;
}

export interface RemediationRequest {
  id: string;
  env: string;
  action: string;
  title: string;
  risk: string;
  blastRadius: string;
  args: Record<string, string>;
  requester: Principal;
  channel?: string;
  createdAt: string;
  expiresAt: number;
  preview: StoredPreview;
  state: RequestState;
  approver?: Principal;
  decidedBy?: Principal;
  /** Why it was refused, denied, expired or interrupted. */
  reason?: string;
  /** Preview drift found at execution time: what was approved vs what is there now. */
  drift?: { gone: string[]; added: string[]; previous: string };
  steps: Array<{ step: string; done: boolean; at: string }>;
  result?: ExecuteResult;
  before?: CheckLine[];
  after?: CheckLine[];
  verifyAttempts?: number;
  /** Instance executing it and the fences of its locks (a restarted bot finds it by these). */
  holder?: string;
  fences?: number[];
  startedAt?: string;
  finishedAt?: string;
  followUps?: string[];
  /** Where its card lives in Slack (kept by the adapter; a fresh post replaces a lost one). */
  message?: { channel: string; ts: string };
  /**
   * The channel the card was in is gone (archived, deleted, the bot removed): the card moved to the requester's
   * direct messages (`message`), and the approver gets a copy of it there (`dms`), kept up to date too.
   */
  lostChannel?: { channel: string; error: string };
  /** Copies of the card in other people's direct messages (the approver's, once the channel was lost). */
  dms?: Array<{ user: string; channel: string; ts: string }>;
}
