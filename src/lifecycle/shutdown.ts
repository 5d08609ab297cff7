/**
 * Graceful stop, in phases, under one bound. Whoever owns a piece of running work registers how to stop it:
 *
 *   intake   stop taking new work: Slack receivers, scheduler ticks, /readyz turns 503
 *   work     work already running finishes, or is recorded as interrupted (remediations, scheduled runs);
 *            each handler gets the deadline (epoch ms) it must respect
 *   flush    the Slack outbound queue is drained
 *   release  leases and locks in the state store are released, so another replica takes over at once
 *   close    connections (targets, state store, the metrics server)
 *
 * Phases run in order; handlers of one phase run in parallel. A handler that throws is logged and the stop goes
 * on. When the whole stop outlasts `timeoutMs`, `stop()` resolves anyway with the handlers still pending named,
 * so the caller can exit: a stuck peer never keeps a replica from going away.
 *
 * Long-running work checks `lifecycle.stopping` (or `lifecycle.signal`) before it starts something new.
 */

export type Phase = 'intake' | 'work' | 'flush' | 'release' | 'close';
export const PHASES: readonly Phase[] = ['intake', 'work', 'flush', 'release', 'close'];

export type StopHandler = (deadline: number) => Promise<void> | void;

export interface StopReport {
  reason: string;
  ms: number;
  /** True when everything finished within the bound. */
  clean: boolean;
  /** `phase:name` of handlers that threw or had not finished at the bound. */
  failed: string[];
  pending: string[];
}

export class Lifecycle {
  private readonly handlers = new Map<Phase, Map<string, StopHandler>>();
  private readonly controller = new AbortController();
  private stopped: Promise<StopReport> | undefined;

  constructor(
    private readonly opts: { timeoutMs: number; log?: (level: 'info' | 'warn', msg: string) => void } = { timeoutMs: 20000 },
  ) {
    for (const p of PHASES) this.handlers.set(p, new Map());
  }

  /** Aborted as soon as a stop begins. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopping(): boolean {
    return this.controller.signal.aborted;
  }

  /** Register a stop handler; returns the function that unregisters it (work that ended on its own). */
  on(phase: Phase, name: string, handler: StopHandler): () => void {
    const m = this.handlers.get(phase) as Map<string, StopHandler>;
    m.set(name, handler);
    return () => {
      if (m.get(name) === handler) m.delete(name);
    };
  }

  /** Stops once; later calls return the same report. */
  stop(reason = 'stop'): Promise<StopReport> {
    this.stopped ??= this.run(reason);
    return this.stopped;
  }

  private async run(reason: string): Promise<StopReport> {
    const started = Date.now();
    const deadline = started + this.opts.timeoutMs;
    this.controller.abort(new Error(`shutting down (${reason})`));
    this.opts.log?.('info', `stopping (${reason}); at most ${this.opts.timeoutMs} ms`);
    const failed: string[] = [];
    const pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.opts.timeoutMs);
    });
    const phases = (async () => {
      for (const phase of PHASES) {
        const entries = [...(this.handlers.get(phase) as Map<string, StopHandler>)];
        await Promise.all(
          entries.map(async ([name, handler]) => {
            const id = `${phase}:${name}`;
            pending.add(id);
            try {
              await handler(deadline);
            } catch (err) {
              failed.push(id);
              this.opts.log?.('warn', `stop step ${id} failed: ${(err as Error).message}`);
            } finally {
              pending.delete(id);
            }
          }),
        );
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([phases, bound]);
    clearTimeout(timer);
    const report: StopReport = { reason, ms: Date.now() - started, clean: outcome === 'done' && failed.length === 0, failed, pending: [...pending] };
    if (outcome === 'timeout') this.opts.log?.('warn', `stop bound of ${this.opts.timeoutMs} ms reached; still pending: ${report.pending.join(', ')}`);
    else this.opts.log?.('info', `stopped in ${report.ms} ms${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`);
    return report;
  }
}

/**
 * Wait for `promise` until `deadline` (epoch ms); resolves true when it settled in time. The helper work
 * handlers use to bound their own wait.
 */
export async function settledBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))),
  ]);
  clearTimeout(timer);
  return result;
}
