/**
 * The alert-evaluation job on node-cron: one task per distinct group interval, `noOverlap` so a slow tick
 * (a black-holed Prometheus) is skipped rather than stacked. Intervals must map onto cron fields exactly.
 */
import { schedule, type RunCoordinator, type ScheduledTask } from 'node-cron';

/** `15000` → `*\/15 * * * * *`; throws with the reason for intervals cron cannot express. */
export function cronFor(intervalMs: number): string {
  const s = intervalMs / 1000;
  if (Number.isInteger(s) && s >= 1 && s <= 60 && 60 % s === 0) return s === 60 ? '0 * * * * *' : `*/${s} * * * * *`;
  const m = s / 60;
  if (Number.isInteger(m) && m >= 1 && m <= 60 && 60 % m === 0) return m === 60 ? '0 0 * * * *' : `0 */${m} * * * *`;
  throw new Error(`evaluation interval ${s}s cannot be scheduled exactly: use seconds dividing 60 (1s, 5s, 15s, 30s…) or minutes dividing 60`);
}

export interface AlertJob {
  readonly name: string;
  readonly pattern: string;
  stop(): Promise<void>;
  /** When it last ran and how that went (for `/ws schedule`). */
  lastRun(): { at: Date; ok: boolean; error?: string } | undefined;
}

/**
 * `coordinator`: with replicas on a shared state store, the scheduler's (scheduler/coordinator.ts), so one
 * replica evaluates each tick — several evaluating at once would each find an incident new and post its card.
 */
export function scheduleEvaluation(name: string, intervalMs: number, run: () => Promise<void>, coordinator?: RunCoordinator): AlertJob {
  const pattern = cronFor(intervalMs);
  let last: { at: Date; ok: boolean; error?: string } | undefined;
  const task: ScheduledTask = schedule(
    pattern,
    async () => {
      const at = new Date();
      try {
        await run();
        last = { at, ok: true };
      } catch (err) {
        last = { at, ok: false, error: (err as Error).message };
      }
    },
    { name, noOverlap: true, unref: true, ...(coordinator ? { distributed: true, runCoordinator: coordinator, distributedLease: intervalMs * 4 } : {}) },
  );
  return {
    name,
    pattern,
    async stop() {
      await task.destroy();
    },
    lastRun: () => last,
  };
}
