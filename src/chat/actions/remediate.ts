/** "Request <action>": a follow-up offered on a finished card (restart-redis → restart-backend). */
import { z } from 'zod';
import type { ActionSpec } from './types';

const value = z
  .object({
    env: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'an environment name'),
    action: z.string().min(1).max(64).regex(/^[a-z][a-z0-9-]*$/, 'a remediation id'),
  })
  .strict();

export const remediateAction: ActionSpec<z.infer<typeof value>> = {
  id: 'remediate',
  summary: 'request the suggested next remediation (preview first, then approval)',
  effect: 'reply',
  schema: value,
  repeat: { windowMs: 10_000 },
  async handle(ctx, v) {
    return { message: await ctx.runCommand(`remediate ${v.action} --env ${v.env}`) };
  },
};
