/**
 * Periodic full status per environment, posted to the schedule channel only when the verdict changes (overall
 * or root cause), with what changed. The last verdict lives in the state store under the fire's fence, so a
 * restart or a leader change neither re-posts an old change nor misses a new one. Each change is also appended
 * to `sched:changes:<env>` (the digest's incidents) and every run feeds the digest's uptime tally.
 */
import type { DoctorApi } from '../../core/api';
import type { StatusReport } from '../../diagnosis/types';
import type { StateStore } from '../../state/store';
import { metrics } from '../../telemetry/metrics';
import { fencedUpdate } from '../fenced';
import type { JobSpec, Notifier, StatusChangeView } from '../types';
import { diffVerdicts, snapshotOf, type VerdictSnapshot } from '../verdict-diff';
import { tallyRun } from './tally';

export interface StatusWatchOptions {
  doctor: Pick<DoctorApi, 'status' | 'envNames'>;
  store: StateStore;
  cron: string;
  /** Environments to watch; empty = all. */
  envs: string[];
  channel?: string;
  notifier?: Notifier;
}

export function statusWatchJob(opts: StatusWatchOptions): JobSpec {
  const envs = (): string[] => (opts.envs.length ? opts.envs : opts.doctor.envNames());
  return {
    name: 'status',
    description: `full status of ${opts.envs.length ? opts.envs.join(', ') : 'every environment'}; posts to ${opts.channel ? `channel ${opts.channel}` : 'no channel (schedule.channel unset)'} when a verdict changes`,
    cron: opts.cron,
    async run(ctx) {
      const notes: string[] = [];
      for (const env of envs()) {
        if (ctx.signal.aborted) {
          notes.push(`${env}: interrupted by shutdown`);
          break;
        }
        const report = await opts.doctor.status(env);
        notes.push(await recordVerdict(opts, env, report, ctx.fence));
      }
      return notes.join('; ');
    },
  };
}

async function recordVerdict(opts: StatusWatchOptions, env: string, report: StatusReport, fence: number): Promise<string> {
  const to = snapshotOf(report);
  const written = await fencedUpdate<VerdictSnapshot>(opts.store, `sched:verdict:${env}`, fence, () => to);
  if (!written) return `${env}: skipped (a newer scheduler lease owns it)`;
  await tallyRun(opts.store, env, report);
  const change = diffVerdicts(written.prev, to);
  if (!change.changed) return `${env}: ${to.overall}${written.prev ? ', no change' : ' (first run, remembered)'}`;
  await opts.store.append(`sched:changes:${env}`, { at: to.at, from: change.from?.overall, to: to.overall, headline: to.headline });
  if (!opts.channel || !opts.notifier) return `${env}: ${change.from?.overall} → ${to.overall} (no channel to post to)`;
  try {
    const view: StatusChangeView = {
      env,
      ...(change.from ? { from: change.from.overall, fromAt: change.from.at } : {}),
      to: to.overall,
      headline: report.verdict.headline,
      ...(report.verdict.rootCause ? { nextStep: report.verdict.rootCause.nextStep } : {}),
      at: report.startedAt,
      checks: change.checks,
    };
    await opts.notifier.statusChanged(opts.channel, view);
    metrics.notifications.inc({ kind: 'status_change', outcome: 'sent' });
    return `${env}: ${change.from?.overall} → ${to.overall}, posted`;
  } catch (err) {
    metrics.notifications.inc({ kind: 'status_change', outcome: 'failed' });
    throw new Error(`${env}: ${change.from?.overall} → ${to.overall}, post failed: ${(err as Error).message}`);
  }
}
