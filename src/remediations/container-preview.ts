/**
 * Preview and execution helpers shared by the container actions (restart web / celery / redis, stop the
 * front end, restart the whole project): the exact containers with uptime, restart count and health, and
 * the identity list an approval is bound to.
 */
import { restartService, stopService, waitUntilHealthy, type ServiceActionResult, type WaitResult } from './primitives/containers';
import { servicesOf, type ContainerView, type DockerTarget, type ProjectSnapshot } from '../targets/docker';
import { classifyDockerError } from '../targets/docker-errors';
import type { ActionContext, ExecuteResult, Preview, PreviewItem, StepReport } from './types';
import { formatDuration } from './format';

export function dockerOf(ctx: ActionContext): DockerTarget | undefined {
  return ctx.targets.docker();
}

export function describeContainer(c: ContainerView, now = Date.now()): string {
  const up = c.running && c.startedAt ? `up ${formatDuration(now - c.startedAt.getTime())}` : c.state;
  const health = c.hasHealthcheck ? `, health ${c.health}` : '';
  return `${up}, ${c.restartCount} restart${c.restartCount === 1 ? '' : 's'}${health}`;
}

/** Identity of a container for drift detection: recreated (new id) or started/stopped since = different. */
export function containerTouch(c: ContainerView): string {
  return `container:${c.service}:${c.id.slice(0, 12)}:${c.running ? 'running' : 'not-running'}`;
}

export async function snapshotOrProblem(ctx: ActionContext): Promise<{ snap: ProjectSnapshot; docker: DockerTarget } | { problem: string }> {
  const docker = dockerOf(ctx);
  if (!docker) return { problem: 'the Docker engine is disabled for this environment (`docker.enabled: false`)' };
  try {
    return { snap: await docker.snapshot({ signal: ctx.signal }), docker };
  } catch (err) {
    const e = classifyDockerError(err, docker.endpoint, 'container list');
    return { problem: `${e.reason} — ${e.fix}` };
  }
}

export async function servicesPreview(ctx: ActionContext, services: readonly string[], verb: string): Promise<Preview> {
  const got = await snapshotOrProblem(ctx);
  if ('problem' in got) return { summary: `Cannot ${verb}: ${got.problem}`, items: [], touches: [], actionable: false, warning: got.problem };
  const items: PreviewItem[] = [];
  const touches: string[] = [];
  const missing: string[] = [];
  for (const s of services) {
    const list = servicesOf(got.snap, s);
    if (list.length === 0) missing.push(s);
    for (const c of list) {
      items.push({ kind: 'container', label: c.name, detail: describeContainer(c) });
      touches.push(containerTouch(c));
    }
  }
  const project = got.snap.project;
  if (items.length === 0) {
    const problem = `no container of ${services.join(', ')} in compose project "${project}"`;
    return { summary: `Nothing to ${verb}: ${problem}`, items, touches, actionable: false, warning: problem };
  }
  return {
    summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} ${items.length} container${items.length === 1 ? '' : 's'} of project "${project}"`,
    items,
    touches,
    actionable: true,
    ...(missing.length ? { warning: `no container of ${missing.join(', ')} (left alone)` } : {}),
  };
}

function resultLine(r: ServiceActionResult): string {
  return r.containers.map((c) => `${c.name} ${c.before}→${c.after ?? '?'}${c.error ? ` (${c.error})` : ''}`).join(', ');
}

/**
 * Restart one service and wait for it to be ready again (target-system check 14: health, or the ASGI start
 * line for web, whose compose health check only runs `check --deploy`).
 */
export async function restartAndWait(
  ctx: ActionContext,
  service: string,
  progress: (s: StepReport) => void,
  opts: { readyDeadlineMs?: number } = {},
): Promise<ExecuteResult> {
  const docker = dockerOf(ctx);
  if (!docker) return { ok: false, summary: 'Docker engine disabled', facts: {}, error: 'docker.enabled is false' };
  progress({ step: `restart ${service}`, done: false });
  const r = await restartService(docker, service, { signal: ctx.signal });
  progress({ step: `restart ${service}`, done: true });
  if (!r.ok) {
    return { ok: false, summary: `restart of ${service} failed: ${r.error ?? 'unknown error'}`, facts: factsOf(r), ...(r.error ? { error: r.error } : {}), ...(r.fix ? { fix: r.fix } : {}) };
  }
  progress({ step: `wait until ${service} is ready`, done: false });
  const w = await waitUntilHealthy(docker, service, {
    since: r.startedAt,
    deadlineMs: opts.readyDeadlineMs ?? 60_000,
    readyWhen: service === ctx.env.docker.logService ? 'auto' : 'running',
    signal: ctx.signal,
  });
  progress({ step: `wait until ${service} is ready`, done: true });
  return waitResult(`restarted ${resultLine(r)}`, r, w);
}

export function factsOf(r: ServiceActionResult): Record<string, string | number | boolean> {
  return { containers: r.containers.length, durationMs: r.durationMs, service: r.service };
}

function waitResult(what: string, r: ServiceActionResult, w: WaitResult): ExecuteResult {
  const facts = { ...factsOf(r), readyMs: w.durationMs, tracebacks: w.containers.reduce((n, c) => n + c.tracebacks, 0) };
  if (!w.ok) return { ok: false, summary: `${what}; not ready: ${w.error ?? 'unknown'}`, facts, error: w.error ?? 'not ready', ...(w.fix ? { fix: w.fix } : {}) };
  const how = w.containers.map((c) => (c.startLine ? `${c.name}: "${c.startLine.slice(0, 80)}"` : `${c.name}: ${c.via}`)).join('; ');
  return { ok: true, summary: `${what} in ${formatDuration(r.durationMs)}; ready after ${formatDuration(w.durationMs)} (${how})`, facts };
}

export async function stopAll(ctx: ActionContext, service: string, progress: (s: StepReport) => void): Promise<ExecuteResult> {
  const docker = dockerOf(ctx);
  if (!docker) return { ok: false, summary: 'Docker engine disabled', facts: {}, error: 'docker.enabled is false' };
  progress({ step: `stop ${service}`, done: false });
  const r = await stopService(docker, service, { signal: ctx.signal });
  progress({ step: `stop ${service}`, done: true });
  return r.ok
    ? { ok: true, summary: `stopped ${resultLine(r)} in ${formatDuration(r.durationMs)}`, facts: factsOf(r) }
    : { ok: false, summary: `stop of ${service} failed: ${r.error ?? 'unknown'}`, facts: factsOf(r), ...(r.error ? { error: r.error } : {}), ...(r.fix ? { fix: r.fix } : {}) };
}
