/**
 * Housekeeping: expired silences, approvals that timed out, and whatever else registers a cleanup task
 * (`addCleanup` in the scheduler wiring). Each task returns how many items it removed; one failing task does
 * not keep the others from running.
 */
import type { JobSpec } from '../types';

export type CleanupTask = (now: Date) => Promise<number>;

export function cleanupJob(cron: string, tasks: Map<string, CleanupTask>): JobSpec {
  return {
    name: 'cleanup',
    description: 'removes expired silences, approvals and other timed-out state',
    cron,
    async run() {
      const now = new Date();
      const notes: string[] = [];
      const failed: string[] = [];
      for (const [name, task] of tasks) {
        try {
          const n = await task(now);
          if (n) notes.push(`${name}: ${n} removed`);
        } catch (err) {
          failed.push(`${name}: ${(err as Error).message}`);
        }
      }
      if (failed.length) throw new Error(`cleanup failed for ${failed.join('; ')}${notes.length ? ` (done: ${notes.join(', ')})` : ''}`);
      return notes.length ? notes.join(', ') : tasks.size ? 'nothing expired' : 'no cleanup tasks registered';
    },
  };
}
