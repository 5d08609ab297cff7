import { z } from 'zod';
import { formatDuration } from '../../util/prom-duration';
import { ActionRefusal, type ActionSpec } from './types';
import { incidentRef, NOT_RUNNING } from './alert-target';

const value = incidentRef.extend({ duration: z.enum(['1h', '4h', 'custom']) }).strict();
const HOURS = { '1h': 1, '4h': 4 } as const;

/**
 * Silence 1 h / 4 h: persisted, shown on the card, announced in its thread, with a notice there shortly before
 * it ends. "Silence…" answers with the command for any other length (`/ws alerts silence <rule> <duration>`).
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
      const rule = view?.root.rule ?? '<rule>';
      const text = `To silence for another length: \`${ctx.prefix} alerts silence ${rule} <duration> [comment] --env ${v.env}\` (e.g. \`30m\`, \`8h\`, \`2d\`).`;
      return { message: { text, blocks: [{ type: 'text', text: `🔕 ${text}` }] } };
    }
    const ms = HOURS[v.duration] * 3_600_000;
    const r = await api.silenceIncident(v.incident, ms, ctx.user.id);
    if (!r.ok) throw new ActionRefusal(r.message);
    return { message: { text: r.message, blocks: [{ type: 'text', text: `🔕 ${r.message} It ends at ${new Date(Date.now() + ms).toISOString().slice(11, 16)} UTC (${formatDuration(ms)}).` }] } };
  },
};
