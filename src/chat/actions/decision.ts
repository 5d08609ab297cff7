/** The value of Approve / Deny buttons: the request and the exact preview it is bound to (id + digest). */
import { z } from 'zod';

export const decisionValue = z
  .object({
    id: z.string().regex(/^r-[0-9a-f]{6,20}$/, 'a remediation request id'),
    previewId: z.string().regex(/^p-[0-9a-f]{6,20}$/, 'a preview id'),
    digest: z.string().regex(/^[0-9a-f]{16,64}$/, 'a preview digest'),
  })
  .strict();

export type DecisionButtonValue = z.infer<typeof decisionValue>;
