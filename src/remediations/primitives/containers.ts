/**
 * Container primitives for remediations (R1 restart web, R2 restart Redis, R3 restart Celery, guide Issue 2
 * stop/start frontend): restart / stop / start every container of one compose service, and wait until a
 * service is healthy again (target-system check 14). No policy here — who may do what is decided elsewhere.
 *
 * Each primitive returns a structured result (what was touched, how long it took, the final state) and never
 * throws for a broken target: an unreachable engine is `ok: false` with the reason and the fix.
 */
import { scanContainerLogs } from '../../logs/scan';
import { servicesOf, sortForService, type ContainerView, type DockerTarget, type HealthStatus } from '../../targets/docker';
import { classifyDockerError } from '../../targets/docker-errors';

export type ServiceAction = 'restart' | 'stop' | 'start';

export interface ContainerActionResult {
  id: string;
  name: string;
  before: string;
  after?: string;
  health?: HealthStatus;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface ServiceActionResult {
  action: ServiceAction;
  service: string;
  project: string;
  ok: boolean;
  /** When the action began (ISO): pass it to waitUntilHealthy as `since`. */
  startedAt: string;
  durationMs: number;
  containers: ContainerActionResult[];
  /** Why nothing (or not everything) happened. */
  error?: string;
  fix?: string;
}

export interface ActionOptions {
  /** Grace period the engine gives the process before SIGKILL (restart/stop), seconds. Default 10. */
  stopTimeoutSeconds?: number;
  /** Bound on the whole action (ms). Default: stop timeout + 15 s. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** A result that touched nothing (or only `containers`), with the reason and the fix a person needs. */
function failed(
  action: ServiceAction,
  service: string,
  target: DockerTarget,
  t0: number,
  problem: { reason: string; fix: string },
  containers: ContainerActionResult[] = [],
): ServiceActionResult {
  return {
    action,
    service,
    project: target.project,
    ok: false,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    containers,
    error: problem.reason,
    fix: problem.fix,
  };
}

function fail(action: ServiceAction, service: string, target: DockerTarget, t0: number, err: unknown, containers: ContainerActionResult[] = []): ServiceActionResult {
  return failed(action, service, target, t0, classifyDockerError(err, target.endpoint, `${action} of ${service}`), containers);
}

async function act(target: DockerTarget, service: string, action: ServiceAction, opts: ActionOptions): Promise<ServiceActionResult> {
  const t0 = Date.now();
  const stopT = opts.stopTimeoutSeconds ?? 10;
  const deadline = t0 + (opts.deadlineMs ?? stopT * 1000 + 15000);
  const left = (): number => Math.max(1, deadline - Date.now());
  const sig = opts.signal ? { signal: opts.signal } : {};
  let list: ContainerView[];
  try {
    const snap = await target.snapshot({ ...sig, timeoutMs: Math.min(left(), target.timeoutMs) });
    list = sortForService(servicesOf(snap, service));
  } catch (err) {
    return fail(action, service, target, t0, err);
  }
  if (list.length === 0) {
    return failed(action, service, target, t0, {
      reason: `no container of service "${service}" in compose project "${target.project}"`,
      fix: `create it first (\`docker compose up -d ${service}\`)`,
    });
  }
  const results = await Promise.all(
    list.map(async (c): Promise<ContainerActionResult> => {
      const c0 = Date.now();
      const base = { id: c.id, name: c.name, before: c.state };
      try {
        if (action === 'restart') await target.restart(c.id, stopT, { ...sig, timeoutMs: left() });
        else if (action === 'stop') await target.stop(c.id, stopT, { ...sig, timeoutMs: left() });
        else await target.start(c.id, { ...sig, timeoutMs: left() });
      } catch (err) {
        const e = classifyDockerError(err, target.endpoint, action);
        return { ...base, ok: false, durationMs: Date.now() - c0, error: e.reason };
      }
      const durationMs = Date.now() - c0;
      try {
        const info = await target.inspect(c.id, { ...sig, timeoutMs: Math.min(left(), target.timeoutMs) });
        const after = info.State.Restarting ? 'restarting' : info.State.Status;
        const okState = action === 'stop' ? !info.State.Running : info.State.Running;
        const h = info.State.Health?.Status;
        return {
          ...base,
          after,
          ...(h ? { health: h as HealthStatus } : {}),
          ok: okState,
          durationMs,
          ...(okState ? {} : { error: `state after ${action}: ${after}${info.State.ExitCode ? ` (exit code ${info.State.ExitCode})` : ''}` }),
        };
      } catch (err) {
        const e = classifyDockerError(err, target.endpoint, 'inspect');
        return { ...base, ok: false, durationMs, error: `done, but the state could not be read: ${e.reason}` };
      }
    }),
  );
  const ok = results.every((r) => r.ok);
  const firstErr = results.find((r) => !r.ok)?.error;
  return {
    action,
    service,
    project: target.project,
    ok,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    containers: results,
    ...(ok ? {} : { error: firstErr ?? 'failed' }),
  };
}

export function restartService(target: DockerTarget, service: string, opts: ActionOptions = {}): Promise<ServiceActionResult> {
  return act(target, service, 'restart', opts);
}

export function stopService(target: DockerTarget, service: string, opts: ActionOptions = {}): Promise<ServiceActionResult> {
  return act(target, service, 'stop', opts);
}

export function startService(target: DockerTarget, service: string, opts: ActionOptions = {}): Promise<ServiceActionResult> {
  return act(target, service, 'start', opts);
}

// ---------------------------------------------------------------------------------------------------------

export type ReadyRule = 'auto' | 'health' | 'start-line' | 'running';

export interface WaitOptions {
  /** Only what happened after this counts (the restart timestamp). Default: now. */
  since?: Date | string;
  /** Give up after this long (ms). Default 60 s. */
  deadlineMs?: number;
  /** Poll interval (ms). Default 500. */
  pollMs?: number;
  /**
   * How a container proves it is ready: `health` = health status `healthy`; `start-line` = the ASGI server's
   * start line in its log after `since`; `running` = just running; `auto` (default) = `health` when the
   * container has a health check, else `start-line`.
   */
  readyWhen?: ReadyRule;
  signal?: AbortSignal;
}

export interface ContainerWait {
  id: string;
  name: string;
  ready: boolean;
  via: Exclude<ReadyRule, 'auto'>;
  state: string;
  health: HealthStatus;
  /** Redacted ASGI start line seen after `since`. */
  startLine?: string;
  /** Python tracebacks logged after `since` (e.g. a failed migration). */
  tracebacks: number;
  waitedMs: number;
  /** Why it is not ready. */
  reason?: string;
}

export interface WaitResult {
  service: string;
  ok: boolean;
  since: string;
  durationMs: number;
  containers: ContainerWait[];
  error?: string;
  fix?: string;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export async function waitUntilHealthy(target: DockerTarget, service: string, opts: WaitOptions = {}): Promise<WaitResult> {
  const t0 = Date.now();
  const since = opts.since === undefined ? new Date(t0) : new Date(opts.since);
  const deadline = t0 + (opts.deadlineMs ?? 60000);
  const pollMs = opts.pollMs ?? 500;
  const rule = opts.readyWhen ?? 'auto';
  const sig = opts.signal ? { signal: opts.signal } : {};
  const left = (): number => Math.max(1, deadline - Date.now());
  const state = new Map<string, ContainerWait>();
  let lastError: { error: string; fix: string } | undefined;

  for (;;) {
    let list: ContainerView[] | undefined;
    try {
      list = servicesOf(await target.snapshot({ ...sig, timeoutMs: Math.min(left(), target.timeoutMs) }), service);
      lastError = undefined;
    } catch (err) {
      // The engine may be briefly busy during a restart: keep trying until the deadline.
      const e = classifyDockerError(err, target.endpoint, 'inspect');
      lastError = { error: e.reason, fix: e.fix };
    }
    if (list) {
      if (list.length === 0) lastError = { error: `no container of service "${service}"`, fix: `\`docker compose up -d ${service}\`` };
      for (const c of list) {
        const prev = state.get(c.id);
        if (prev?.ready) continue;
        const via: ContainerWait['via'] = rule === 'auto' ? (c.hasHealthcheck ? 'health' : 'start-line') : rule;
        const w: ContainerWait = {
          id: c.id,
          name: c.name,
          ready: false,
          via,
          state: c.state,
          health: c.health,
          tracebacks: prev?.tracebacks ?? 0,
          waitedMs: Date.now() - t0,
          ...(prev?.startLine ? { startLine: prev.startLine } : {}),
        };
        // Restarted after `since`? (1 s slack: some engines keep whole seconds.)
        const restarted = c.startedAt !== undefined && c.startedAt.getTime() >= since.getTime() - 1000;
        if (!c.running) {
          w.reason = `${c.state}${c.state === 'exited' ? ` (exit code ${c.exitCode})` : ''}`;
        } else if (!restarted) {
          w.reason = 'not restarted since the given time';
        } else if (via === 'running') {
          w.ready = true;
        } else if (via === 'health') {
          w.ready = c.health === 'healthy';
          if (!w.ready) w.reason = `health ${c.health}`;
        } else {
          try {
            let seen = false;
            const scan = await scanContainerLogs(target, c, {
              sinceUnix: Math.floor(Math.max(since.getTime(), c.startedAt?.getTime() ?? 0) / 1000) - (c.startedAt ? 0 : 1),
              evidenceLines: 0,
              ...sig,
              timeoutMs: Math.min(left(), target.timeoutMs),
              batchMs: 0,
              onMarker: (ids, line) => {
                if (!seen && ids.some((id) => id === 'appStartupComplete' || id === 'uvicornRunning' || id === 'daphneListening')) {
                  seen = true;
                  w.startLine = line();
                }
              },
            });
            w.tracebacks = scan.counts.traceback;
            w.ready = seen;
            if (!seen) w.reason = 'no ASGI start line in the log yet';
          } catch (err) {
            w.reason = classifyDockerError(err, target.endpoint, 'log read').reason;
          }
        }
        state.set(c.id, w);
      }
    }
    const all = [...state.values()];
    const done = list !== undefined && list.length > 0 && list.every((c) => state.get(c.id)?.ready);
    if (done || Date.now() + pollMs > deadline || opts.signal?.aborted) {
      const ok = done;
      const notReady = all.filter((w) => !w.ready);
      return {
        service,
        ok,
        since: since.toISOString(),
        durationMs: Date.now() - t0,
        containers: all,
        ...(ok
          ? {}
          : opts.signal?.aborted
            ? { error: 'aborted' }
            : all.length === 0 && lastError
              ? lastError
              : {
                  error:
                    `not healthy within ${opts.deadlineMs ?? 60000} ms: ${notReady.map((w) => `${w.name}: ${w.reason ?? 'not ready'}`).join('; ')}` +
                    (lastError ? ` (last engine error: ${lastError.error})` : ''),
                  ...(lastError ? { fix: lastError.fix } : {}),
                }),
      };
    }
    await sleep(pollMs, opts.signal);
  }
}
