/**
 * "Silence…" on an incident card: how long (any length from 1 minute to 30 days, as typed: `90m`, `8h`, `2d`)
 * and why (optional, shown in the card's thread). Bad input is answered field by field, nothing is silenced.
 */
import { z } from 'zod';
import { parseDurationSeconds } from '../../util/duration';
import { incidentRef } from '../actions/alert-target';
import type { FormSpec } from './types';

const MIN_S = 60;
const MAX_S = 30 * 86_400;
const REASON_MAX = 300;

export const silenceForm: FormSpec<z.infer<typeof incidentRef>, { durationMs: number; reason: string }> = {
  id: 'alert-silence',
  title: 'Silence incident',
  submitLabel: 'Silence',
  fields: [
    { id: 'duration', label: 'For how long', placeholder: '90m, 8h, 2d', hint: 'From 1m to 30d.', maxLength: 20 },
    { id: 'reason', label: 'Reason', placeholder: 'deploying the workers', hint: 'Shown in the card\'s thread.', optional: true, multiline: true, maxLength: REASON_MAX },
  ],
  state: incidentRef,
  validate(values) {
    const errors: Record<string, string> = {};
    const d = (values.duration ?? '').trim();
    const s = d ? parseDurationSeconds(d) : undefined;
    if (!d) errors.duration = 'Enter a length, e.g. 90m, 8h or 2d.';
    else if (d.length > 20 || s === undefined) errors.duration = 'Not a length: use a number and a unit (m, h, d), e.g. 90m, 8h or 2d.';
    else if (s < MIN_S) errors.duration = 'At least 1 minute.';
    else if (s > MAX_S) errors.duration = 'At most 30 days.';
    const reason = (values.reason ?? '').trim();
    if ([...reason].length > REASON_MAX) errors.reason = `At most ${REASON_MAX} characters (this is ${[...reason].length}).`;
    // Control characters (other than newlines) have no business in a reason shown to the team.
    else if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(reason)) errors.reason = 'Remove the control characters.';
    if (Object.keys(errors).length) return { ok: false, errors };
    return { ok: true, value: { durationMs: s! * 1000, reason: reason.replace(/\s*\n\s*/g, ' ') } };
  },
  async submit(ctx, state, value) {
    const api = ctx.doctor.alerts;
    if (!api) return { ok: false, message: 'Alert rules are not running in this process any more.' };
    return await api.silenceIncident(state.incident, value.durationMs, ctx.user.id, value.reason);
  },
};
