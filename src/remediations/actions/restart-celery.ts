/** R3 — restart the Celery worker container(s). */
import { z } from 'zod';
import { restartAndWait, servicesPreview } from '../container-preview';
import type { RemediationAction } from '../types';

const SERVICE = 'celery';

export const restartCelery: RemediationAction<Record<string, never>> = {
  id: 'restart-celery',
  title: 'Restart Celery worker',
  ref: 'target-system Remediations R3',
  risk: 'medium',
  blastRadius: 'running chat tasks are killed; with acks_late they return only after the visibility timeout, past their 600 s expiry — those replies are lost',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['containers', 'celery-queue'],
  limits: { cooldownSeconds: 60, maxPerHour: 3 },
  locks: () => [`service:${SERVICE}`],
  preview: (ctx) => servicesPreview(ctx, [SERVICE], 'restart'),
  execute: (ctx, _a, progress) => restartAndWait(ctx, SERVICE, progress),
};
