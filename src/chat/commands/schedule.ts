/** `/ws schedule`: the scheduled jobs with their last run (on any replica) and next run. */
import { scheduleMessage } from '../schedule-messages';
import type { CommandSpec } from './types';

export const scheduleCommand: CommandSpec = {
  name: 'schedule',
  usage: 'schedule',
  summary: 'Scheduled jobs: what runs when, their last and next run, which replica leads.',
  examples: ['schedule'],
  slow: false,
  validate: (args) => (args.length ? `schedule takes no arguments (got ${args.length})` : undefined),
  async run(ctx) {
    return scheduleMessage(await ctx.doctor.schedule?.());
  },
};
