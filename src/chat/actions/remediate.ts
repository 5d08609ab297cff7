/**
 * "Request <fix>": the fixes a status answer or an alert card offers for the cause it names, and the follow-up a
 * finished card suggests (restart-redis → restart-backend). A press does exactly what typing
 * `/ws remediate <action> [args]` in that channel does — the preview, then a card waiting for a second person's
 * approval — as the presser, so the policy (who may request, which channels) judges them like a typed request.
 */
import { z } from 'zod';
import { inlineCode } from '../text';
import { ActionRefusal, type ActionSpec } from './types';

const value = z
  .object({
    env: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'an environment name'),
    action: z.string().min(1).max(64).regex(/^[a-z][a-z0-9-]*$/, 'a remediation id'),
    // Positional arguments filled from the evidence (the probe user's id); words only, never flags.
    args: z.array(z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]*$/, 'a plain argument')).max(4).optional(),
  })
  .strict();

export const remediateAction: ActionSpec<z.infer<typeof value>> = {
  id: 'remediate',
  summary: 'request the fix offered for the named cause (preview first, then a second person approves)',
  effect: 'reply',
  schema: value,
  repeat: { windowMs: 10_000 },
  async handle(ctx, v) {
    const typed = `remediate ${[v.action, ...(v.args ?? [])].join(' ')}`;
    // In Slack the request card goes to the channel, where an approver can see it; App Home has none.
    if (ctx.surface === 'slack' && !ctx.channel) {
      throw new ActionRefusal(`a fix is requested in a channel, where someone can approve it: type ${inlineCode(`${ctx.prefix} ${typed} --env ${v.env}`)} there`);
    }
    return { message: await ctx.runCommand(`${typed} --env ${v.env}`) };
  },
};
