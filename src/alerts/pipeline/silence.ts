/**
 * silence: alerts matched by an active silence are not announced (firing, repeats, flapping). A resolve still
 * goes through — it only turns the card green, it pings nobody.
 */
import type { AlertState, Silence } from '../types';
import { hold, type Stage } from './types';

export function silenceFor(silences: readonly Silence[], a: AlertState, now: number): Silence | undefined {
  return silences.find(
    (s) =>
      s.env === a.env &&
      s.startsAt <= now &&
      now < s.endsAt &&
      Object.entries(s.matchers).every(([k, v]) => (k === 'alertname' ? a.rule === v || a.labels.alertname === v : a.labels[k] === v)),
  );
}

export const silenceStage: Stage = {
  name: 'silence',
  async run(items, ctx) {
    return items.filter((item) => {
      if (item.alert.test || item.alert.phase === 'resolved') return true;
      const s = silenceFor(ctx.silences, item.alert, ctx.now);
      if (!s) return true;
      if (item.alert.phase === 'firing') hold(ctx, 'silence', item, `silenced by ${s.createdBy} until ${new Date(s.endsAt).toISOString()}`);
      return false;
    });
  },
};
