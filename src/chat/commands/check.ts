import { unknownNameError } from '../parse';
import { statusMessage } from '../status-message';
import type { CommandSpec } from './types';

export const checkCommand: CommandSpec = {
  name: 'check',
  usage: 'check <name> [--env E]',
  summary: 'Run one check (and the checks it needs) and show its finding and evidence.',
  examples: ['check chat-handshake', 'check redis --env staging'],
  slow: true,
  shareable: true,
  validate(args, { doctor, env }) {
    const names = doctor.checkNames(env);
    if (args.length !== 1) return `\`check\` takes exactly one check name. Known checks: ${names.map((n) => `\`${n}\``).join(', ')}.`;
    return unknownNameError('check', args[0] ?? '', names);
  },
  async run(ctx, args) {
    const name = args[0] ?? '';
    const report = await ctx.doctor.status(ctx.env, { checks: [name] });
    const msg = statusMessage(report, { check: name });
    // A single check answers with its evidence inline: that is what the person asked for.
    return msg.details ? { ...msg, blocks: [...msg.blocks.slice(0, -1), ...msg.details.blocks.slice(1), ...msg.blocks.slice(-1)] } : msg;
  },
};
