/**
 * Guide Issue 2 — stop the compose front-end container when it competes with a local Vite dev server for
 * the front-end port. The preview says whether a local dev server really holds or wants the port; without
 * one, stopping the container leaves the browser with no front end, and the preview warns so.
 */
import { z } from 'zod';
import { findProcesses, PORT_PROXIES, whoListens } from '../../targets/docker-hostports';
import { servicesPreview, stopAll } from '../container-preview';
import type { RemediationAction } from '../types';

export const stopFrontend: RemediationAction<Record<string, never>> = {
  id: 'stop-frontend',
  title: 'Stop the Docker front end',
  ref: 'guide Issue 2; target-system §7',
  risk: 'low',
  blastRadius: 'the containerised Vite stops; browsers then reach only the local dev server on the same port',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['frontend-conflict'],
  limits: { cooldownSeconds: 30, maxPerHour: 6 },
  locks: (_a, env) => [`service:${env.docker.frontendService}`],
  async preview(ctx) {
    const cfg = ctx.env.docker;
    const p = await servicesPreview(ctx, [cfg.frontendService], 'stop');
    let pattern: RegExp;
    try {
      pattern = new RegExp(cfg.frontendProcessPattern, 'i');
    } catch {
      pattern = /\bvite\b/i;
    }
    const [probe, procs] = await Promise.all([
      whoListens(cfg.frontendPort, { budgetMs: 1500 }).catch(() => undefined),
      findProcesses(pattern).catch(() => []),
    ]);
    const local = procs.filter((x) => !x.containerId && !PORT_PROXIES.has(x.comm));
    const holder = probe?.holders.find((h) => !h.containerId && !PORT_PROXIES.has(h.comm));
    if (local[0]) p.items.push({ kind: 'note', label: 'local dev server', detail: `${local[0].comm} (pid ${local[0].pid}) ${local[0].command.slice(0, 80)}` });
    if (holder) p.items.push({ kind: 'note', label: `port ${cfg.frontendPort}`, detail: `held by local ${holder.comm} (pid ${holder.pid})` });
    if (p.actionable && local.length === 0 && !holder) {
      p.warning = `no local dev server found (pattern /${cfg.frontendProcessPattern}/, port ${cfg.frontendPort}): stopping the container leaves no front end`;
    }
    return p;
  },
  execute: (ctx, _a, progress) => stopAll(ctx, ctx.env.docker.frontendService, progress),
};
