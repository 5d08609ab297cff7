/**
 * The Docker Engine API client of one environment (dockerode over the socket or a TCP host). It finds the
 * compose project's containers (labels first, names as a fallback), inspects them into plain views, streams
 * their logs, and restarts/stops/starts them. Every call is bounded by `docker.timeoutMs` and the caller's
 * AbortSignal, and every failure comes out as a `DockerUnavailableError` carrying a reason and a fix.
 *
 * It also remembers each container's last seen RestartCount across runs, so a restart loop shows as growth.
 */
import http from 'node:http';
import type Docker from 'dockerode';

/**
 * dockerode (with its ssh2/gRPC/protobuf dependencies) is the heaviest module the bot has: required only when
 * an environment actually talks to an engine, so `status` with `docker.enabled: false` and every other
 * one-shot command do not pay for it.
 */
const loadDockerode = (): typeof Docker => require('dockerode') as typeof Docker;
import type { EnvConfig } from '../config/schema';
import { redact } from '../telemetry/redact';
import { composeIdentity, type ComposeIdentity } from './docker-compose';
import { classifyDockerError, describeEndpoint, DockerUnavailableError, type DockerEndpoint } from './docker-errors';
import { streamLogs, type LogSink, type LogStreamOptions, type LogStreamStats } from './docker-logs';

export { DockerUnavailableError, type DockerEndpoint } from './docker-errors';

export type DockerConfig = EnvConfig['docker'];

export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface PortView {
  containerPort: number;
  protocol: string;
  hostPort?: number;
  hostIp?: string;
}

/** What the checks need to know about one container of the project. */
export interface ContainerView extends ComposeIdentity {
  id: string;
  name: string;
  /** Engine state: running, exited, restarting, paused, created, dead, … */
  state: string;
  running: boolean;
  health: HealthStatus;
  hasHealthcheck: boolean;
  healthFailingStreak: number;
  /** Output of the last failed health probe, redacted and shortened. */
  healthOutput?: string;
  restartCount: number;
  restartPolicy?: string;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode: number;
  oomKilled: boolean;
  /** Engine error text of the last start (e.g. a port already in use). */
  error?: string;
  tty: boolean;
  /** Host pid of the container's main process (0 when not running). */
  pid: number;
  networkMode?: string;
  ports: PortView[];
}

export interface ProjectSnapshot {
  project: string;
  endpoint: string;
  takenAt: Date;
  containers: ContainerView[];
}

export interface DockerTargetOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  project: string;
  /** Per-call timeout (ms). */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RestartObservation {
  previous?: { count: number; at: Date };
  current: number;
  /** current − previous, when there was a previous observation of the same container. */
  growth?: number;
}

export function servicesOf(snapshot: ProjectSnapshot, service: string): ContainerView[] {
  return snapshot.containers.filter((c) => c.service === service && !c.oneOff);
}

/** Parse `tcp://host:2375`, `http://host`, `host` into host + port. */
function parseHost(host: string, port: number | undefined): { host: string; port: number } {
  const m = /^(?:[a-z]+:\/\/)?\[?([^\]/]+?)\]?(?::(\d+))?\/?$/i.exec(host.trim());
  const h = m?.[1] ?? host;
  const p = port ?? (m?.[2] ? Number(m[2]) : 2375);
  return { host: h, port: p };
}

function date(s: string | undefined): Date | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export class DockerTarget {
  readonly endpoint: DockerEndpoint;
  readonly project: string;
  readonly docker: Docker;
  readonly timeoutMs: number;
  private readonly restartMemory = new Map<string, { count: number; at: Date }>();
  private readonly agent = new http.Agent({ keepAlive: false });
  private readonly open = new Set<AbortController>();

  constructor(opts: DockerTargetOptions) {
    this.project = opts.project;
    this.timeoutMs = opts.timeoutMs ?? 3000;
    if (opts.host) {
      const { host, port } = parseHost(opts.host, opts.port);
      this.endpoint = { host, port };
      this.docker = new (loadDockerode())({ host, port, protocol: 'http', agent: this.agent } as Docker.DockerOptions);
    } else {
      const socketPath = opts.socketPath ?? '/var/run/docker.sock';
      this.endpoint = { socketPath };
      // A fresh connection per request: a pooled socket to an engine that went away would report a reset
      // instead of the real cause (socket gone / refused).
      this.docker = new (loadDockerode())({ socketPath, agent: this.agent } as Docker.DockerOptions);
    }
  }

  static fromConfig(cfg: DockerConfig): DockerTarget {
    return new DockerTarget({
      project: cfg.project,
      timeoutMs: cfg.timeoutMs,
      ...(cfg.host ? { host: cfg.host, ...(cfg.port !== undefined ? { port: cfg.port } : {}) } : { socketPath: cfg.socketPath }),
    });
  }

  describe(): string {
    return describeEndpoint(this.endpoint);
  }

  /**
   * Run one engine call with its own AbortSignal, bounded by the timeout and the caller's signal; errors come
   * out classified. The race guards against a call that ignores its signal.
   */
  async call<T>(what: string, fn: (abortSignal: AbortSignal) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const ac = new AbortController();
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    this.open.add(ac);
    const stop = new Promise<never>((_, reject) => {
      const fail = (why: string): void => {
        const e = new Error(why);
        e.name = 'AbortError';
        ac.abort(e);
        reject(e);
      };
      timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      onAbort = () => fail('aborted');
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const p = fn(ac.signal);
    p.catch(() => undefined);
    try {
      return await Promise.race([p, stop]);
    } catch (err) {
      throw classifyDockerError(err, this.endpoint, what);
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      this.open.delete(ac);
    }
  }

  async ping(opts: CallOptions = {}): Promise<void> {
    await this.call('ping', (abortSignal) => (this.docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }), opts);
  }

  /** Every container of the project (running or not, one-off runs excluded), with its compose identity. */
  async listProject(opts: CallOptions = {}): Promise<Array<Docker.ContainerInfo & { identity: ComposeIdentity }>> {
    const all = await this.call('container list', (abortSignal) => this.docker.listContainers({ all: true, abortSignal }), opts);
    const out: Array<Docker.ContainerInfo & { identity: ComposeIdentity }> = [];
    for (const c of all) {
      const identity = composeIdentity(c.Labels, c.Names ?? [], this.project);
      if (identity && !identity.oneOff) out.push({ ...c, identity });
    }
    return out;
  }

  async inspect(id: string, opts: CallOptions = {}): Promise<Docker.ContainerInspectInfo> {
    return await this.call(`inspect of ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }), opts);
  }

  /** List + inspect every container of the project, in one bounded step. */
  async snapshot(opts: CallOptions = {}): Promise<ProjectSnapshot> {
    const listed = await this.listProject(opts);
    const views = await Promise.all(
      listed.map(async (c) => {
        try {
          return toView(await this.inspect(c.Id, opts), c.identity);
        } catch (err) {
          // Removed between list and inspect: skip it; anything else is the engine's failure.
          if (err instanceof DockerUnavailableError && err.code === 'not-found') return undefined;
          throw err;
        }
      }),
    );
    const containers = views.filter((v): v is ContainerView => v !== undefined);
    containers.sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
    return { project: this.project, endpoint: this.describe(), takenAt: new Date(), containers };
  }

  /** The containers of one service, running ones first, most recently started first. */
  async serviceContainers(service: string, opts: CallOptions = {}): Promise<ContainerView[]> {
    const snap = await this.snapshot(opts);
    return sortForService(servicesOf(snap, service));
  }

  /**
   * Stream a container's log (payload bytes, demultiplexed) into `sink`. Bounded by `opts.timeoutMs`
   * (default: this target's timeout) and `opts.signal`.
   */
  async streamLogs(container: Pick<ContainerView, 'id' | 'tty'>, opts: Omit<LogStreamOptions, 'tty'>, sink: LogSink): Promise<LogStreamStats> {
    const ac = new AbortController();
    this.open.add(ac);
    const onAbort = (): void => ac.abort();
    if (opts.signal?.aborted) ac.abort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await streamLogs(
        this.endpoint,
        container.id,
        { ...opts, tty: container.tty, signal: ac.signal, timeoutMs: opts.timeoutMs ?? this.timeoutMs },
        sink,
      );
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.open.delete(ac);
    }
  }

  async restart(id: string, timeoutSeconds: number, opts: CallOptions = {}): Promise<void> {
    await this.call(`restart of ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).restart({ t: timeoutSeconds, abortSignal } as {}), {
      ...opts,
      timeoutMs: opts.timeoutMs ?? timeoutSeconds * 1000 + this.timeoutMs,
    });
  }

  async stop(id: string, timeoutSeconds: number, opts: CallOptions = {}): Promise<void> {
    await this.call(
      `stop of ${id.slice(0, 12)}`,
      async (abortSignal) => {
        try {
          await this.docker.getContainer(id).stop({ t: timeoutSeconds, abortSignal });
        } catch (err) {
          // 304: already stopped.
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        }
      },
      { ...opts, timeoutMs: opts.timeoutMs ?? timeoutSeconds * 1000 + this.timeoutMs },
    );
  }

  async start(id: string, opts: CallOptions = {}): Promise<void> {
    await this.call(
      `start of ${id.slice(0, 12)}`,
      async (abortSignal) => {
        try {
          await this.docker.getContainer(id).start({ abortSignal });
        } catch (err) {
          // 304: already started.
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        }
      },
      opts,
    );
  }

  /** Record a container's RestartCount and return what was seen last time (kept across runs, in memory). */
  observeRestartCount(id: string, count: number, at = new Date()): RestartObservation {
    const previous = this.restartMemory.get(id);
    this.restartMemory.set(id, { count, at });
    return previous ? { previous, current: count, growth: count - previous.count } : { current: count };
  }

  /** Drop the memory of containers that no longer exist. */
  forgetRestartCountsExcept(ids: readonly string[]): void {
    const keep = new Set(ids);
    for (const id of this.restartMemory.keys()) if (!keep.has(id)) this.restartMemory.delete(id);
  }

  /** Abort every call and log stream still in flight. */
  async close(): Promise<void> {
    for (const ac of this.open) ac.abort();
    this.open.clear();
    this.agent.destroy();
  }
}

export function sortForService(list: ContainerView[]): ContainerView[] {
  return [...list].sort((a, b) => {
    if (a.running !== b.running) return a.running ? -1 : 1;
    return (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0);
  });
}

function health(info: Docker.ContainerInspectInfo): { status: HealthStatus; has: boolean; streak: number; output?: string } {
  const cfgHc = (info.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck;
  const has = Array.isArray(cfgHc?.Test) && cfgHc.Test.length > 0 && cfgHc.Test[0] !== 'NONE';
  const h = info.State.Health;
  const raw = (h?.Status ?? '').toLowerCase();
  const status: HealthStatus = raw === 'healthy' || raw === 'unhealthy' || raw === 'starting' ? raw : has ? 'starting' : 'none';
  const lastFail = [...(h?.Log ?? [])].reverse().find((l) => l.ExitCode !== 0);
  const output = lastFail?.Output ? redact(lastFail.Output.trim()).slice(0, 160) : undefined;
  return { status: has || status !== 'none' ? status : 'none', has, streak: h?.FailingStreak ?? 0, ...(output ? { output } : {}) };
}

function ports(info: Docker.ContainerInspectInfo): PortView[] {
  const out: PortView[] = [];
  const ns = (info.NetworkSettings as { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> } | undefined)?.Ports;
  const pb = (info.HostConfig as { PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> } | undefined)
    ?.PortBindings;
  const src = ns && Object.keys(ns).length > 0 ? ns : (pb ?? {});
  for (const [key, binds] of Object.entries(src)) {
    const [p, proto] = key.split('/');
    const containerPort = Number(p);
    if (!Number.isFinite(containerPort)) continue;
    if (!binds || binds.length === 0) {
      out.push({ containerPort, protocol: proto ?? 'tcp' });
      continue;
    }
    for (const b of binds) {
      const hostPort = Number(b.HostPort);
      out.push({
        containerPort,
        protocol: proto ?? 'tcp',
        ...(Number.isFinite(hostPort) && b.HostPort ? { hostPort } : {}),
        ...(b.HostIp ? { hostIp: b.HostIp } : {}),
      });
    }
  }
  return out;
}

export function toView(info: Docker.ContainerInspectInfo, identity: ComposeIdentity): ContainerView {
  const h = health(info);
  const st = info.State;
  const startedAt = date(st.StartedAt);
  const finishedAt = date(st.FinishedAt);
  const hostConfig = info.HostConfig as { RestartPolicy?: { Name?: string }; NetworkMode?: string };
  return {
    ...identity,
    id: info.Id,
    name: (info.Name ?? '').replace(/^\//, ''),
    state: st.Restarting ? 'restarting' : (st.Status || (st.Running ? 'running' : 'unknown')).toLowerCase(),
    running: st.Running === true && st.Restarting !== true,
    health: h.status,
    hasHealthcheck: h.has,
    healthFailingStreak: h.streak,
    ...(h.output ? { healthOutput: h.output } : {}),
    restartCount: info.RestartCount ?? 0,
    ...(hostConfig.RestartPolicy?.Name ? { restartPolicy: hostConfig.RestartPolicy.Name } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    exitCode: st.ExitCode ?? 0,
    oomKilled: st.OOMKilled === true,
    ...(st.Error ? { error: redact(st.Error).slice(0, 200) } : {}),
    tty: info.Config?.Tty === true,
    pid: st.Pid ?? 0,
    ...(hostConfig.NetworkMode ? { networkMode: hostConfig.NetworkMode } : {}),
    ports: ports(info),
  };
}
