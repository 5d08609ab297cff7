/** Deny (or, for the requester, withdraw) a pending remediation. */
import { requestMessage } from '../remediation-message';
import { decisionValue, type DecisionButtonValue } from './decision';
import { ActionRefusal, type ActionSpec } from './types';

export const denyAction: ActionSpec<DecisionButtonValue> = {
  id: 'deny',
  summary: 'deny the pending remediation shown (the requester withdraws it)',
  effect: 'reply',
  schema: decisionValue,
  async mayPress(ctx, v) {
    const engine = ctx.doctor.remediations;
    const r = await engine?.get(v.id).catch(() => undefined);
    if (!engine || !r || r.state !== 'pending') return undefined;
    const d = engine.policy.mayDeny({ action: r.action, requester: r.requester, previewId: r.preview.id, digest: r.preview.digest, expiresAt: r.expiresAt }, ctx.user);
    return d.ok ? undefined : d.reason;
  },
  async handle(ctx, v) {
    const engine = ctx.doctor.remediations;
    if (!engine) throw new ActionRefusal('remediations are not configured on this bot');
    // The bot's own store failing is said to the presser, never a silent press (nothing ran: the decision is a CAS).
    const out = await engine.deny(v.id, ctx.user, ctx.channel).catch((err: unknown) => {
      throw new ActionRefusal(`the bot could not record the decision (${(err as Error).message})`);
    });
    if (out.kind === 'refused') throw new ActionRefusal(out.reason);
    if (out.kind === 'done' || out.kind === 'already') return { message: requestMessage(out.request, ctx.prefix), attribution: 'Denied by' };
    throw new ActionRefusal('unexpected answer');
  },
};
