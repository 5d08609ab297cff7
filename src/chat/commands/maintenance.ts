/** `/ws maintenance <duration> [reason]` — nothing is announced for the environment until the window ends. */
import { parseDurationSeconds } from '../../util/duration';
import { formatDuration } from '../../util/prom-duration';
import { literal } from '../text';
import type { CommandSpec } from './types';

const MAX_S = 7 * 86400;

export const maintenanceCommand: CommandSpec = {
  name: 'maintenance',
  usage: 'maintenance <duration> [reason] [--env E]',
  summary: 'Start a maintenance window: no alert is announced until it ends; what changed meanwhile is told after.',
  examples: ['maintenance 30m upgrading Redis', 'maintenance 2h'],
  slow: false,
  validate(args) {
    const d = args[0];
    if (d === undefined) return '`maintenance` needs a duration, e.g. `30m` or `2h`.';
    const s = parseDurationSeconds(d);
    if (s === undefined) return `\`${literal(d)}\` is not a duration: use e.g. \`30m\`, \`2h\`, \`1d\`.`;
    if (s < 60 || s > MAX_S) return 'A maintenance window lasts between 1 minute and 7 days.';
    return undefined;
  },
  async run(ctx, args) {
    const api = ctx.doctor.alerts;
    if (!api) return { text: 'Alert rules are not running in this process.', blocks: [{ type: 'text', text: 'Alert rules are not running here, so there is nothing to hold back.' }] };
    const ms = (parseDurationSeconds(args[0] ?? '') ?? 0) * 1000;
    const reason = args.slice(1).join(' ').trim() || 'maintenance';
    const w = await api.startMaintenance(ctx.env, ms, reason, ctx.user?.id ?? ctx.surface);
    const until = new Date(w.endsAt).toISOString().slice(0, 16);
    return {
      text: `Maintenance on ${ctx.env} for ${formatDuration(ms)}`,
      blocks: [{ type: 'text', text: `🛠 Maintenance on \`${ctx.env}\` until ${until}Z (${formatDuration(ms)}): ${literal(reason)}. Alerts are evaluated but not announced; anything that changed is told when it ends.` }],
      visibility: 'channel',
    };
  },
};
