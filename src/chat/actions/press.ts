/**
 * One entry point for every press, whatever the adapter: the value's size and seal are checked, then the action
 * is looked up, its schema applied and its policy asked — and only then does the handler run. A press failing
 * any of these runs nothing and comes back as a refusal (a private answer for the presser, logged here).
 */
import { redact } from '../../telemetry/redact';
import type { MessageModel } from '../model';
import { inlineCode, literal } from '../text';
import { findAction } from './registry';
import type { ActionContext, ActionUpdate, AnyActionSpec } from './types';
import { ActionRefusal } from './types';
import type { ActionSeal } from './seal';

export interface PressInput {
  /** The registry id the button was made for (the `<id>` of `wsd:<id>:<n>`). */
  actionId: string;
  /** The sealed value exactly as it came back. */
  value?: string;
}

export type PressOutcome =
  | { ok: true; spec: AnyActionSpec; update: ActionUpdate }
  | { ok: false; refusal: MessageModel; reason: string };

/**
 * Builds the context once the press is verified: the adapter looks the shown answer up by the sealed reference
 * and wires `progress` for the action's effect.
 */
export type ContextFor = (ref: string | undefined, spec: AnyActionSpec) => ActionContext;

export interface PressOptions {
  seal: ActionSeal;
  log: { warn(msg: string): void };
}

/** Checks a press without running it: the spec and the verified value, or why it is refused. */
export function verifyPress(input: PressInput, seal: ActionSeal): { ok: true; spec: AnyActionSpec; value: unknown; ref?: string } | { ok: false; reason: string } {
  const spec = findAction(input.actionId);
  if (!spec) return { ok: false, reason: `no action ${inlineCode(input.actionId.slice(0, 60))} in this version of ws-doctor` };
  const un = seal.unseal(spec.id, input.value);
  if (!un.ok) return { ok: false, reason: un.reason };
  const parsed = spec.schema.safeParse(un.unsealed.value);
  if (!parsed.success) return { ok: false, reason: `the value does not fit \`${spec.id}\` (${literal(parsed.error.issues[0]?.message ?? 'invalid')})` };
  return { ok: true, spec, value: parsed.data, ...(un.unsealed.ref ? { ref: un.unsealed.ref } : {}) };
}

export async function press(input: PressInput, contextFor: ContextFor, opts: PressOptions): Promise<PressOutcome> {
  const checked = verifyPress(input, opts.seal);
  if (!checked.ok) {
    opts.log.warn(`refused a press of ${redact(input.actionId.slice(0, 80))}: ${checked.reason}`);
    return refused(checked.reason, 'That button was refused: nothing was run.');
  }
  const ctx = contextFor(checked.ref, checked.spec);
  const { spec, value } = checked;
  try {
    const denial = await spec.mayPress?.(ctx, value);
    if (denial) {
      opts.log.warn(`${ctx.user.id} may not press ${spec.id}: ${denial}`);
      return refused(denial, 'Not allowed: nothing was run.');
    }
    return { ok: true, spec, update: await spec.handle(ctx, value) };
  } catch (err) {
    if (err instanceof ActionRefusal) {
      opts.log.warn(`${spec.id} by ${ctx.user.id} refused: ${err.message}`);
      return refused(err.message, 'Refused: nothing more was done.');
    }
    throw err;
  }
}

function refused(reason: string, lead: string): PressOutcome & { ok: false } {
  return {
    ok: false,
    reason,
    refusal: {
      text: `${lead} ${reason}`,
      blocks: [
        { type: 'text', text: `:no_entry: ${lead}\n${reason}.` },
        { type: 'context', text: 'Buttons carry a signature only this bot can make; run the command again for fresh ones.' },
      ],
    },
  };
}
