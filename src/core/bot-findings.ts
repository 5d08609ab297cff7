/**
 * Findings about ws-doctor itself rather than the watched stack. They sit next to the stack's findings in a
 * report (so people see them) but are added after the verdict: trouble in the bot never turns into a verdict
 * about the stack.
 */
import type { Finding } from '../checks/types';
import { redact } from '../telemetry/redact';

export const STATE_STORE_CHECK = 'bot-state-store';

export function stateStoreFinding(description: string, err: unknown): Finding {
  const reason = redact(err instanceof Error ? err.message : String(err)).slice(0, 400);
  return {
    check: STATE_STORE_CHECK,
    status: 'unknown',
    summary: `ws-doctor's own state store is unusable — history, approvals, locks and alert states are not being kept: ${reason}`,
    evidence: { store: redact(description) },
    durationMs: 0,
    ref: 'ws-doctor config `state.store` / `stateDir` (not the watched stack)',
  };
}
