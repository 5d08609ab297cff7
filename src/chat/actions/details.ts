import type { MessageModel } from '../model';
import type { ActionSpec } from './types';
import { commandFor, runTarget, type RunTarget } from './target';

/** The evidence behind an answer; a message's own actions are not repeated there. */
const detailsOf = (m: MessageModel): MessageModel => m.details ?? { ...m, blocks: m.blocks.filter((b) => b.type !== 'actions') };

/** Details: the evidence of exactly the run shown (recomputed when the bot no longer holds it). */
export const detailsAction: ActionSpec<RunTarget> = {
  id: 'details',
  summary: 'show the evidence behind this answer',
  effect: 'details',
  schema: runTarget,
  async handle(ctx, target) {
    if (ctx.shown) return { message: detailsOf(ctx.shown.model), command: ctx.shown.command };
    const command = commandFor(target);
    ctx.progress({ text: 'Collecting evidence…', blocks: [{ type: 'context', text: ':hourglass_flowing_sand: Collecting evidence…' }] });
    return { message: detailsOf(await ctx.runCommand(command)), command };
  },
};
