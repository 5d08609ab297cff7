/** R1 — restart the web (Django ASGI) container(s), then wait for the ASGI start line (check 14). */
import { z } from 'zod';
import { restartAndWait, servicesPreview } from '../container-preview';
import type { RemediationAction } from '../types';

export const restartBackend: RemediationAction<Record<string, never>> = {
  id: 'restart-backend',
  title: 'Restart web (backend)',
  ref: 'target-system Remediations R1',
  risk: 'medium',
  blastRadius:
    'every open WebSocket on web drops; clients retry 5× over ~31 s; replies in flight are lost; a local restart re-runs migrations first',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['http-liveness', 'ws-edge', 'chat-handshake'],
  limits: { cooldownSeconds: 60, maxPerHour: 3 },
  locks: (_a, env) => [`service:${env.docker.logService}`],
  preview: (ctx) => servicesPreview(ctx, [ctx.env.docker.logService], 'restart'),
  execute: (ctx, _a, progress) => restartAndWait(ctx, ctx.env.docker.logService, progress, { readyDeadlineMs: 120_000 }),
};
