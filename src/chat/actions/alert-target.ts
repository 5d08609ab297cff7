/** The value of buttons on an incident card: which incident (its store key), and for silences how long. */
import { z } from 'zod';

export const incidentRef = z
  .object({
    incident: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:#-]+$/, 'an incident key'),
    env: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'an environment name'),
  })
  .strict();

export type IncidentRef = z.infer<typeof incidentRef>;

export const NOT_RUNNING = 'Alert rules are not running in this process any more.';
