import { z } from 'zod';
import { formatDuration } from '../../util/prom-duration';
import { ActionRefusal, type ActionSpec } from './types';
import { silenceForm } from '../forms/silence-form';
import { incidentRef, NOT_RUNNING } from './alert-target';

const value = incidentRef.extend({ duration: z.enum(['1h', '4h', 'custom']) }).strict();
const HOURS = { '1h': 1, '4h': 4 } as const;

/**
 * Silence 1 h / 4 h: persisted, shown on the card, announced in its thread, with a notice there shortly before
 * it ends. "Silence…" asks for any other length and a reason in a form (chat/forms/silence-form.ts: a modal in
 * Slack); where no form can be shown (the console, a Slack trigger that expired) it answers with the command that
 * does the same (`/ws alerts silence <rule> <duration> [comment]`).
 */
export const alertSilenceAction: ActionSpec<z.infer<typeof value>> = {
  id: 'alert-silence',
  summary: 'silence the incident for 1 h, 4 h, or a length you choose',
  effect: 'reply',
  schema: value,
  repeat: { whileRunning: true },
  async handle(ctx, v) {
    const api = ctx.doctor.alerts;
    if (!api) throw new ActionRefusal(NOT_RUNNING);
    if (v.duration === 'custom') {
      const view = await api.view(v.incident);
      if (!view) throw new ActionRefusal('That incident is no longer known (resolved long ago?).');
      const rule = view.root.rule;
      // Slack opens the form (how long, why) as a modal; elsewhere, and if the modal cannot open, this says how to type it.
      const text = `To silence for another length: \`${ctx.prefix} alerts silence ${rule} <duration> [comment] --env ${v.env}\` (e.g. \`30m\`, \`8h\`, \`2d\`).`;
      return { message: { text, blocks: [{ type: 'text', text: `🔕 ${text}` }] }, form: { id: silenceForm.id, state: { incident: v.incident, env: v.env }, about: `Silence every alert of: ${view.incident.title}` } };
    }
    const ms = HOURS[v.duration] * 3_600_000;
    const r = await api.silenceIncident(v.incident, ms, ctx.user.id);
    if (!r.ok) throw new ActionRefusal(r.message);
    return { message: { text: r.message, blocks: [{ type: 'text', text: `🔕 ${r.message} It ends at ${new Date(Date.now() + ms).toISOString().slice(11, 16)} UTC (${formatDuration(ms)}).` }] } };
  },
};
