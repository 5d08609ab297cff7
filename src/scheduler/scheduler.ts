/**
 * Runs the bot's periodic jobs on node-cron: `noOverlap` (a slow run makes the next fire skip, never stack),
 * `distributed` with a RunCoordinator on the state store (one replica per fire), last runs kept in the store
 * (`sched:last:<job>`) so every replica's `/ws schedule` agrees.
 *
 * Stopping: `stopFiring()` ends the cron timers (intake), `drain(deadline)` waits for a running job (it sees
 * its abort signal first), `release()` gives the lease up so another replica leads at once.
 */
import { createTask, type ScheduledTask, type TaskContext } from 'node-cron';
import type { StateStore } from '../state/store';
import { label, metrics } from '../telemetry/metrics';
import { redact } from '../telemetry/redact';
import { StoreRunCoordinator } from './coordinator';
import type { JobInfo, JobRun, JobSpec } from './types';

export interface SchedulerOptions {
  store: StateStore;
  /** This replica's id (host + pid by default in main.ts). */
  holder: string;
  /** Scheduler lease TTL: a dead leader's jobs move to another replica within it. */
  leaseTtlMs: number;
  log?: (level: 'info' | 'warn', msg: string) => void;
  /** How late (ms) a fire may start, under load, before node-cron calls it missed. */
  lateToleranceMs?: number;
}

interface Registered {
  spec: JobSpec;
  task: ScheduledTask;
  running?: Promise<void>;
}

export class Scheduler {
  readonly coordinator: StoreRunCoordinator;
  private readonly jobs = new Map<string, Registered>();
  private readonly controller = new AbortController();
  private started = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.coordinator = new StoreRunCoordinator(opts.store, opts.holder, opts.leaseTtlMs, (m) => opts.log?.('info', m));
  }

  add(spec: JobSpec): void {
    if (this.jobs.has(spec.name)) throw new Error(`scheduler: job "${spec.name}" is registered twice`);
    const task = createTask(spec.cron, (ctx: TaskContext) => this.fire(spec, ctx), {
      name: spec.name,
      timezone: spec.timezone ?? 'UTC',
      noOverlap: true,
      distributed: true,
      runCoordinator: this.coordinator,
      distributedLease: this.opts.leaseTtlMs * 4,
      missedExecutionTolerance: this.opts.lateToleranceMs ?? 5000,
      unref: true,
      logger: {
        info: () => undefined,
        debug: () => undefined,
        warn: (m: string) => this.opts.log?.('warn', `scheduler ${spec.name}: ${m}`),
        error: (m: string | Error) => this.opts.log?.('warn', `scheduler ${spec.name}: ${typeof m === 'string' ? m : m.message}`),
      },
    });
    task.on('execution:overlap', () => metrics.schedulerRuns.inc({ job: label(spec.name), outcome: 'skipped_overlap' }));
    task.on('execution:skipped', (c) => metrics.schedulerRuns.inc({ job: label(spec.name), outcome: c.reason === 'not-elected' ? 'not_leader' : 'store_error' }));
    task.on('execution:missed', () => metrics.schedulerRuns.inc({ job: label(spec.name), outcome: 'missed' }));
    this.jobs.set(spec.name, { spec, task });
    if (this.started) void task.start();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.coordinator.elect();
    for (const j of this.jobs.values()) await j.task.start();
  }

  /** What `/ws schedule` shows: every job, its last run (any replica) and its next one. */
  async info(): Promise<JobInfo[]> {
    const out: JobInfo[] = [];
    for (const { spec, task, running } of this.jobs.values()) {
      const last = await this.opts.store.get<JobRun>(`sched:last:${spec.name}`).catch(() => undefined);
      const next = task.getNextRun();
      out.push({
        name: spec.name,
        description: spec.description,
        cron: spec.cron,
        timezone: spec.timezone ?? 'UTC',
        ...(last ? { lastRun: last.value } : {}),
        ...(next && this.started && !this.controller.signal.aborted ? { nextRun: next.toISOString() } : {}),
        running: running !== undefined,
      });
    }
    return out;
  }

  /** Run a job now on this replica, outside its schedule (tests, `/ws schedule run` later). */
  async runNow(name: string): Promise<JobRun> {
    const j = this.jobs.get(name);
    if (!j) throw new Error(`no job named "${name}"`);
    return this.execute(j, new Date(), this.coordinator.fence ?? 0);
  }

  /** Shutdown, intake: no further fires on this replica. */
  async stopFiring(): Promise<void> {
    this.controller.abort(new Error('stopping'));
    for (const j of this.jobs.values()) await j.task.stop();
  }

  /** Shutdown, work: wait for running jobs until `deadline`; true when none was left running. */
  async drain(deadline: number): Promise<boolean> {
    const running = [...this.jobs.values()].map((j) => j.running).filter((p): p is Promise<void> => p !== undefined);
    if (!running.length) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      Promise.allSettled(running).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** Shutdown, release: give the lease up and destroy the tasks. */
  async release(): Promise<void> {
    await this.coordinator.release();
    for (const j of this.jobs.values()) await j.task.destroy();
  }

  private async fire(spec: JobSpec, ctx: TaskContext): Promise<void> {
    const j = this.jobs.get(spec.name);
    if (!j || this.controller.signal.aborted) return;
    const fence = this.coordinator.takeFence(`${spec.name}:${ctx.date.toISOString()}`);
    await this.execute(j, ctx.date, fence);
  }

  private async execute(j: Registered, slot: Date, fence: number): Promise<JobRun> {
    const started = Date.now();
    let resolveRunning: () => void = () => undefined;
    j.running = new Promise<void>((r) => (resolveRunning = r));
    let run: JobRun;
    try {
      const note = await j.spec.run({ slot, fence, signal: this.controller.signal });
      run = { at: new Date(started).toISOString(), ok: true, ms: Date.now() - started, by: this.opts.holder, ...(note ? { note: redact(note) } : {}) };
      metrics.schedulerRuns.inc({ job: label(j.spec.name), outcome: 'ran' });
    } catch (err) {
      run = { at: new Date(started).toISOString(), ok: false, ms: Date.now() - started, by: this.opts.holder, note: redact((err as Error).message).slice(0, 300) };
      metrics.schedulerRuns.inc({ job: label(j.spec.name), outcome: 'failed' });
      this.opts.log?.('warn', `scheduled job ${j.spec.name} failed: ${run.note}`);
    } finally {
      j.running = undefined;
      resolveRunning();
    }
    metrics.schedulerLastRun.set({ job: label(j.spec.name) }, Math.floor(started / 1000));
    await this.opts.store.put(`sched:last:${j.spec.name}`, run).catch(() => metrics.stateStoreErrors.inc({ op: 'put' }));
    return run;
  }
}
