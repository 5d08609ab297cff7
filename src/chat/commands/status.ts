import { statusMessage } from '../status-message';
import { inlineCode } from '../text';
import type { CommandSpec } from './types';

export const statusCommand: CommandSpec = {
  name: 'status',
  usage: 'status [--env E]',
  slackOptions: '[share]',
  summary: 'Run every diagnostic at once and give one verdict: what is broken, why, what to do.',
  examples: ['status', 'status --env staging', 'status share'],
  slow: true,
  shareable: true,
  validate: (args) => (args.length ? `\`status\` takes no arguments (got ${inlineCode(args.join(' '))}).` : undefined),
  async run(ctx) {
    return statusMessage(await ctx.doctor.status(ctx.env));
  },
};
