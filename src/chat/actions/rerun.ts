import { inlineCode } from '../text';
import type { ActionSpec } from './types';
import { commandFor, runTarget, type RunTarget } from './target';

/** Re-run: the same checks again, the answer replacing the message in place (the board, on App Home). */
export const rerunAction: ActionSpec<RunTarget> = {
  id: 'rerun',
  summary: 'run the same checks again and update this message',
  effect: 'update',
  schema: runTarget,
  // One re-run of a message at a time: presses while it runs would only join the same run anyway.
  repeat: { whileRunning: true },
  async handle(ctx, target) {
    const command = commandFor(target);
    ctx.progress({
      text: `Re-running ${command}…`,
      blocks: [{ type: 'context', text: `:hourglass_flowing_sand: Re-running ${inlineCode(command)}…` }],
    });
    return { message: await ctx.runCommand(command), command, attribution: 'Re-run by' };
  },
};
