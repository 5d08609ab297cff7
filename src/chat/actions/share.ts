import type { ActionSpec } from './types';
import { commandFor, runTarget, type RunTarget } from './target';

/** Post to channel: the private answer, as it is, for everyone in the channel. */
export const shareAction: ActionSpec<RunTarget> = {
  id: 'share',
  summary: 'post this answer to the channel for everyone',
  effect: 'post',
  schema: runTarget,
  // Sharing happens once per message.
  repeat: { windowMs: 10 * 60 * 1000 },
  mayPress(ctx) {
    return ctx.place === 'home' ? 'Post to channel works on an answer in a conversation, not on App Home' : undefined;
  },
  async handle(ctx, target) {
    const command = ctx.shown?.command ?? commandFor(target);
    const message = ctx.shown?.model ?? (await ctx.runCommand(command));
    return { message, command, attribution: 'Posted by' };
  },
};
