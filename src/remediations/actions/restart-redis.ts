/**
 * R2 — restart the Redis container. Works while Redis is down (the preview and the restart only need the
 * Docker engine, and the bot's own state lives elsewhere). Channel-layer groups are lost with Redis, so open
 * sockets stop receiving chunks: restart-backend is offered next.
 */
import { z } from 'zod';
import { restartAndWait, servicesPreview } from '../container-preview';
import type { RemediationAction } from '../types';

const SERVICE = 'redis';

export const restartRedis: RemediationAction<Record<string, never>> = {
  id: 'restart-redis',
  title: 'Restart Redis',
  ref: 'target-system Remediations R2',
  risk: 'high',
  blastRadius:
    'no volume: a recreate loses the Celery queue (DB 0), tokens/limits/session versions (DB 2) and channel groups (DB 3); open sockets stop getting replies until web restarts',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['redis', 'celery-queue'],
  followUps: ['restart-backend'],
  limits: { cooldownSeconds: 120, maxPerHour: 2 },
  locks: () => [`service:${SERVICE}`],
  preview: (ctx) => servicesPreview(ctx, [SERVICE], 'restart'),
  execute: (ctx, _a, progress) => restartAndWait(ctx, SERVICE, progress),
};
