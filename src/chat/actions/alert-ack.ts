import { ActionRefusal, type ActionSpec } from './types';
import { incidentRef, NOT_RUNNING, type IncidentRef } from './alert-target';

/** Acknowledge: "someone is on it" — the card names them, the thread says so; the card's buttons stay. */
export const alertAckAction: ActionSpec<IncidentRef> = {
  id: 'alert-ack',
  summary: 'acknowledge the incident (the card and its thread name who)',
  effect: 'reply',
  schema: incidentRef,
  repeat: { whileRunning: true },
  async handle(ctx, v) {
    const api = ctx.doctor.alerts;
    if (!api) throw new ActionRefusal(NOT_RUNNING);
    const r = await api.acknowledge(v.incident, ctx.user.id);
    if (!r.ok) throw new ActionRefusal(r.message);
    return { message: { text: r.message, blocks: [{ type: 'text', text: `👀 ${r.message}` }] } };
  },
};
