import { STATUS_EMOJI, type MessageBlock } from '../model';
import { inlineCode } from '../text';
import { unknownNameError } from '../parse';
import type { CommandSpec } from './types';

const DEFAULT_LIMIT = 5;

export const historyCommand: CommandSpec = {
  name: 'history',
  usage: 'history [check] [--env E]',
  summary: 'Last results per check (newest first).',
  examples: ['history', 'history chat-handshake'],
  slow: false,
  shareable: true,
  validate(args, { doctor, env }) {
    if (args.length > 1) return '`history` takes at most one check name.';
    const name = args[0];
    return name === undefined ? undefined : unknownNameError('check', name, doctor.checkNames(env));
  },
  async run(ctx, args) {
    const check = args[0];
    const entries = await ctx.doctor.history(ctx.env, { ...(check ? { check } : {}), limit: check ? 20 : 200 });
    if (!entries.length) {
      return { text: `No history yet for ${ctx.env}.`, blocks: [{ type: 'text', text: `No results yet for ${inlineCode(ctx.env)}. Run \`status\` first.` }] };
    }
    const byCheck = new Map<string, typeof entries>();
    for (const e of entries) {
      const list = byCheck.get(e.finding.check) ?? [];
      if (list.length < (check ? 20 : DEFAULT_LIMIT)) list.push(e);
      byCheck.set(e.finding.check, list);
    }
    const blocks: MessageBlock[] = [{ type: 'header', text: `History — ${ctx.env}` }];
    for (const [name, list] of byCheck) {
      const trail = list.map((e) => STATUS_EMOJI[e.finding.status]).join('');
      const last = list[0];
      blocks.push({
        type: 'text',
        text: `*${name}* ${trail}\n${last ? `last: ${last.finding.summary} (${last.at})` : ''}`,
      });
    }
    return { text: `History for ${ctx.env}: ${byCheck.size} checks`, blocks };
  },
};
