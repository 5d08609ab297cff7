/**
 * R7 — restart the whole compose project in dependency order (target-system §7): stop the dependents
 * (front end, beat, worker, web), restart the infrastructure (db, redis, minio, weaviate) and wait for each to
 * be ready, then start web, celery, beat and the front end again, one tier at a time.
 *
 * Unlike `make restart-all` (down + up) it does not recreate containers, so Redis keeps what it keeps across
 * a plain restart; it still drops every socket and every running task.
 */
import { z } from 'zod';
import { restartService, startService, stopService, waitUntilHealthy } from '../primitives/containers';
import { servicesOf } from '../../targets/docker';
import { containerTouch, describeContainer, snapshotOrProblem } from '../container-preview';
import { startOrder, tierOf } from '../compose-order';
import { formatDuration } from '../format';
import type { ActionContext, ExecuteResult, Preview, RemediationAction } from '../types';

async function projectServices(ctx: ActionContext): Promise<{ services: string[] } | { problem: string }> {
  const got = await snapshotOrProblem(ctx);
  if ('problem' in got) return got;
  const services = [...new Set(got.snap.containers.filter((c) => !c.oneOff && c.service).map((c) => c.service as string))];
  return { services };
}

export const restartAll: RemediationAction<Record<string, never>> = {
  id: 'restart-all',
  title: 'Restart the whole compose project',
  ref: 'target-system Remediations R7',
  risk: 'high',
  blastRadius: 'everything: every socket drops, running chat tasks die, web waits for db/redis/minio/weaviate to be healthy again',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['containers', 'http-liveness', 'ws-edge', 'redis', 'chat-handshake'],
  followUps: [],
  limits: { cooldownSeconds: 300, maxPerHour: 1 },
  // Every service's lock: no restart of one service may run while the whole project restarts.
  locks: (_a, env) => [...new Set([...env.docker.expectedServices, ...env.docker.criticalServices])].map((s) => `service:${s}`),
  async preview(ctx): Promise<Preview> {
    const got = await snapshotOrProblem(ctx);
    if ('problem' in got) return { summary: `Cannot restart: ${got.problem}`, items: [], touches: [], actionable: false, warning: got.problem };
    const tiers = startOrder(got.snap.containers.filter((c) => !c.oneOff && c.service).map((c) => c.service as string));
    const items: Preview['items'] = [];
    const touches: string[] = [];
    for (const tier of tiers) {
      for (const s of tier) {
        for (const c of servicesOf(got.snap, s)) {
          items.push({ kind: 'container', label: c.name, detail: `tier ${tierOf(s) + 1} · ${describeContainer(c)}` });
          touches.push(containerTouch(c));
        }
      }
    }
    if (items.length === 0) {
      return { summary: `Nothing to restart: no container in compose project "${got.snap.project}"`, items, touches, actionable: false };
    }
    return {
      summary: `Restart ${items.length} containers of project "${got.snap.project}" in order: ${tiers.map((t) => t.join(' + ')).join(' → ')}`,
      items,
      touches,
      actionable: true,
    };
  },
  async execute(ctx, _a, progress): Promise<ExecuteResult> {
    const docker = ctx.targets.docker();
    if (!docker) return { ok: false, summary: 'Docker engine disabled', facts: {}, error: 'docker.enabled is false' };
    const t0 = Date.now();
    const found = await projectServices(ctx);
    if ('problem' in found) return { ok: false, summary: found.problem, facts: {}, error: found.problem };
    const tiers = startOrder(found.services);
    const infra = tiers.filter((t) => tierOf(t[0] as string) === 0).flat();
    const dependents = tiers.filter((t) => tierOf(t[0] as string) > 0);
    const done: string[] = [];
    const fail = (what: string, error: string): ExecuteResult => ({
      ok: false,
      summary: `${what} failed after ${done.length} step(s) (${done.join(', ') || 'nothing done'}): ${error}`,
      facts: { steps: done.length, durationMs: Date.now() - t0 },
      error,
    });
    // 1. Dependents down, last tier first (beat and front end before the worker, the worker before web).
    for (const tier of [...dependents].reverse()) {
      for (const s of tier) {
        progress({ step: `stop ${s}`, done: false });
        const r = await stopService(docker, s, { signal: ctx.signal });
        progress({ step: `stop ${s}`, done: true });
        if (!r.ok) return fail(`stop ${s}`, r.error ?? 'unknown');
        done.push(`stop ${s}`);
      }
    }
    // 2. Infrastructure restarted and ready.
    for (const s of infra) {
      progress({ step: `restart ${s}`, done: false });
      const r = await restartService(docker, s, { signal: ctx.signal });
      if (!r.ok) return fail(`restart ${s}`, r.error ?? 'unknown');
      const w = await waitUntilHealthy(docker, s, { since: r.startedAt, readyWhen: 'running', deadlineMs: 60_000, signal: ctx.signal });
      progress({ step: `restart ${s}`, done: true });
      if (!w.ok) return fail(`wait for ${s}`, w.error ?? 'not ready');
      done.push(`restart ${s}`);
    }
    // 3. Dependents back up, tier by tier, each ready before the next.
    for (const tier of dependents) {
      for (const s of tier) {
        progress({ step: `start ${s}`, done: false });
        const r = await startService(docker, s, { signal: ctx.signal });
        if (!r.ok) return fail(`start ${s}`, r.error ?? 'unknown');
        const w = await waitUntilHealthy(docker, s, {
          since: r.startedAt,
          readyWhen: s === ctx.env.docker.logService ? 'auto' : 'running',
          deadlineMs: 120_000,
          signal: ctx.signal,
        });
        progress({ step: `start ${s}`, done: true });
        if (!w.ok) return fail(`wait for ${s}`, w.error ?? 'not ready');
        done.push(`start ${s}`);
      }
    }
    return {
      ok: true,
      summary: `restarted ${found.services.length} services in ${formatDuration(Date.now() - t0)}: ${tiers.map((t) => t.join(' + ')).join(' → ')}`,
      facts: { services: found.services.length, steps: done.length, durationMs: Date.now() - t0 },
    };
  },
};
