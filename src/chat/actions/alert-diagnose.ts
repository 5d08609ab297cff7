import { inlineCode } from '../text';
import type { ActionSpec } from './types';
import { incidentRef, type IncidentRef } from './alert-target';

/** Run diagnostics: every check now, the verdict in the card's thread (next to the alert it explains). */
export const alertDiagnoseAction: ActionSpec<IncidentRef> = {
  id: 'alert-diagnose',
  summary: 'run every check now and put the verdict in the incident\'s thread',
  effect: 'details',
  schema: incidentRef,
  repeat: { whileRunning: true },
  async handle(ctx, v) {
    const command = `status --env ${v.env}`;
    ctx.progress({ text: `Running ${command}…`, blocks: [{ type: 'context', text: `:hourglass_flowing_sand: Running ${inlineCode(command)}…` }] });
    return { message: await ctx.runCommand(command), command, attribution: 'Diagnostics run by' };
  },
};
