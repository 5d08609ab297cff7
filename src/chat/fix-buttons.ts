/**
 * "Request this fix" buttons: the remediations a verdict (or an incident's cause) offers, on the message that
 * names the cause. Pressing one opens the same flow as typing `/ws remediate <id>` in that channel — preview
 * first, a card waiting for a second person's approval — through the `remediate` action
 * (chat/actions/remediate.ts). Runbook ids become "Runbook:" buttons that show the guided card.
 *
 * Only ids the remediation registry knows become buttons (a cause may name a manual fix that has no card yet;
 * it stays in the text), and an action that needs arguments only when the evidence supplies them all (the
 * probe user's id for clear-leaked-counters) — never a button that can only fail.
 */
import type { Finding } from '../checks/types';
import { CAUSES } from '../diagnosis/causes';
import type { Cause } from '../diagnosis/types';
import { findAction, findRunbook } from '../remediations/registry';
import type { MessageAction } from './model';

/** At most this many fix buttons on one message (the actions block holds 25; a verdict names one or two). */
export const MAX_FIX_BUTTONS = 5;

/** The value of a fix button (chat/actions/remediate.ts checks it on every press). */
export interface FixButtonValue {
  env: string;
  action: string;
  args?: string[];
}

/** Arguments a fix needs, found in the evidence of this run; undefined when it cannot be filled. */
type ArgsFinder = (param: string) => string | undefined;

/** Buttons for `ids` (deduplicated, known ids only, arguments filled or the fix left out). */
export function fixButtons(ids: readonly string[], env: string, argOf: ArgsFinder = () => undefined): MessageAction[] {
  const out: MessageAction[] = [];
  for (const id of [...new Set(ids)]) {
    if (out.length >= MAX_FIX_BUTTONS) break;
    const runbook = findRunbook(id);
    if (runbook) {
      out.push({ kind: 'remediate', label: `Runbook: ${id}`.slice(0, 75), accessibilityLabel: `Show the guided steps of ${runbook.title}`.slice(0, 75), value: { env, action: id } satisfies FixButtonValue });
      continue;
    }
    const action = findAction(id);
    if (!action) continue;
    const args = action.params.map((p) => argOf(p.name));
    if (args.some((a) => a === undefined)) continue;
    const value: FixButtonValue = { env, action: id, ...(args.length ? { args: args as string[] } : {}) };
    out.push({
      kind: 'remediate',
      label: `Request ${id}${args.length ? ` ${args.join(' ')}` : ''}`.slice(0, 75),
      accessibilityLabel: `Preview ${action.title} and ask for approval`.slice(0, 75),
      value,
    });
  }
  return out;
}

/** The fix buttons of a status answer: its root cause's remediations, arguments from this run's evidence. */
export function verdictFixButtons(cause: Cause | undefined, env: string, findings: readonly Finding[]): MessageAction[] {
  if (!cause?.remediations.length) return [];
  return fixButtons(cause.remediations, env, (param) => (param === 'user' ? probeUserId(findings) : undefined));
}

/** The remediations diagnosis offers for a cause id (an incident only keeps the id and title of its cause). */
export function causeRemediations(causeId: string | undefined): string[] {
  if (!causeId) return [];
  return [...(CAUSES.find((c) => c.id === causeId)?.remediations ?? [])];
}

/** The probe user whose counters the handshake check read (chat-handshake's evidence), as digits. */
function probeUserId(findings: readonly Finding[]): string | undefined {
  for (const f of findings) {
    const v = f.evidence.probeUserId;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  }
  return undefined;
}
