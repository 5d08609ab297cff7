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
  async handle(ctx, v) {
    const engine = ctx.doctor.remediations;
    if (!engine) throw new ActionRefusal('remediations are not configured on this bot');
    const out = await engine.approve(v.id, ctx.user, { previewId: v.previewId, digest: v.digest }, ctx.channel);
    if (out.kind === 'refused') throw new ActionRefusal(out.reason);
    if (out.kind === 'already') {
      return { message: { ...requestMessage(out.request, ctx.prefix), text: `Already decided: ${out.request.state}. Nothing more was done.` } };
    }
    if (out.kind !== 'done') throw new ActionRefusal('unexpected answer');
    return { message: requestMessage(out.request, ctx.prefix), attribution: 'Approved by' };
  },
};
