/**
 * Approve a pending remediation. The engine decides everything (policy, expiry, preview binding, guards) and
 * runs it; the card itself is kept up to date by the adapter from the engine's changes, so this answers only
 * the person who pressed: what happened to their approval.
 */
import { requestMessage } from '../remediation-message';
import { decisionValue, type DecisionButtonValue } from './decision';
import { ActionRefusal, type ActionSpec } from './types';

export const approveAction: ActionSpec<DecisionButtonValue> = {
  id: 'approve',
  summary: 'approve the pending remediation shown (a second person; bound to this preview)',
  effect: 'reply',
  schema: decisionValue,
  repeat: { whileRunning: true },
  // The remediation policy (who may approve, never the requester unless low-risk + selfApprove, expiry, this
  // preview); the engine asks it again when it runs, so a press racing a change is still judged on fresh state.
  async mayPress(ctx, v) {
    const engine = ctx.doctor.remediations;
    const r = await engine?.get(v.id).catch(() => undefined);
    if (!engine || !r || r.state !== 'pending') return undefined; // answered by the handler ("already decided")
    const d = engine.policy.mayApprove({ action: r.action, requester: r.requester, previewId: r.preview.id, digest: r.preview.digest, expiresAt: r.expiresAt }, ctx.user, v, Date.now(), ctx.channel);
    return d.ok ? undefined : d.reason;
  },
  async handle(ctx, v) {
    const engine = ctx.doctor.remediations;
    if (!engine) throw new ActionRefusal('remediations are not configured on this bot');
    // The bot's own store failing is said to the presser, never a silent press (nothing ran: the decision is a CAS).
    const out = await engine.approve(v.id, ctx.user, { previewId: v.previewId, digest: v.digest }, ctx.channel).catch((err: unknown) => {
      throw new ActionRefusal(`the bot could not record the decision (${(err as Error).message})`);
    });
    if (out.kind === 'refused') throw new ActionRefusal(out.reason);
    if (out.kind === 'already') {
      return { message: { ...requestMessage(out.request, ctx.prefix), text: `Already decided: ${out.request.state}. Nothing more was done.` } };
    }
    if (out.kind !== 'done') throw new ActionRefusal('unexpected answer');
    return { message: requestMessage(out.request, ctx.prefix), attribution: 'Approved by' };
  },
};
