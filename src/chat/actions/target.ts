/** The value of buttons that act on a run: which environment, and one check or all of them. */
import { z } from 'zod';

export const runTarget = z
  .object({
    env: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'an environment name'),
    check: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'a check name').optional(),
  })
  .strict();

export type RunTarget = z.infer<typeof runTarget>;

/** The command a run target stands for, as a person would type it. */
export const commandFor = (t: RunTarget): string => (t.check ? `check ${t.check} --env ${t.env}` : `status --env ${t.env}`);
