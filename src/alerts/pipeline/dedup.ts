/**
 * dedup: lets through only what differs from what was last delivered (phase, flapping mark, incident). Pending
 * alerts are not announced; an alert that resolved without ever being announced (it fired and recovered inside
 * a silence or a maintenance window) is marked delivered without a word.
 *
 * Because delivery state is persisted with each alert, this is what makes a restart re-post nothing.
 */
import type { Stage } from './types';

export const dedupStage: Stage = {
  name: 'dedup',
  async run(items, ctx) {
    const out = [];
    for (const item of items) {
      const a = item.alert;
      const n = a.notified;
      if (a.test) {
        out.push(item);
        continue;
      }
      if (a.phase === 'pending' || a.phase === 'inactive') continue;
      if (a.phase === 'resolved' && n?.phase !== 'firing') {
        if (!n || n.phase !== 'resolved') {
          const silent = { ...a, notified: { phase: a.phase, flapping: a.flapping, at: ctx.now, incident: n?.incident ?? item.incidentKey ?? '' } };
          await ctx.store.putAlert(silent);
        }
        continue;
      }
      if (n && n.phase === a.phase && n.flapping === a.flapping && n.incident === item.incidentKey) continue;
      // A flapping alert that keeps flapping says nothing more about each flip.
      if (n && a.flapping && n.flapping && n.incident === item.incidentKey) continue;
      out.push(item);
    }
    return out;
  },
};
