/**
 * The daily digest: uptime per check (scheduled runs since the last digest), incidents (verdict changes away
 * from ok, from `sched:changes:<env>`), and whatever other parts of the bot add as sections (remediations,
 * alerts: `addSection`). Posted to the schedule channel.
 */
import type { DoctorApi } from '../../core/api';
import type { StateStore } from '../../state/store';
import { metrics } from '../../telemetry/metrics';
import type { DigestSection, DigestView, JobSpec, Notifier } from '../types';
import { takeTally } from './tally';

/** Another part of the bot's lines for the digest, covering [since, now). */
export type DigestSource = (since: Date, now: Date) => Promise<DigestSection | undefined>;

export interface DigestOptions {
  doctor: Pick<DoctorApi, 'envNames'>;
  store: StateStore;
  cron: string;
  timezone: string;
  envs: string[];
  channel?: string;
  notifier?: Notifier;
  sources: Map<string, DigestSource>;
}

export function digestJob(opts: DigestOptions): JobSpec {
  return {
    name: 'digest',
    description: `daily digest (uptime per check, incidents${opts.sources.size ? `, ${[...opts.sources.keys()].join(', ')}` : ''}) to ${opts.channel ? `channel ${opts.channel}` : 'no channel (schedule.channel unset)'}`,
    cron: opts.cron,
    timezone: opts.timezone,
    async run() {
      const now = new Date();
      const envs = opts.envs.length ? opts.envs : opts.doctor.envNames();
      let since = new Date(now.getTime() - 24 * 3600 * 1000);
      const view: DigestView = { since: '', until: now.toISOString(), uptime: [], incidents: [], sections: [] };
      for (const env of envs) {
        const tally = await takeTally(opts.store, env, now);
        if (tally && Date.parse(tally.since) < since.getTime()) since = new Date(tally.since);
        view.uptime.push({
          env,
          runs: tally?.runs ?? 0,
          checks: Object.entries(tally?.checks ?? {}).map(([check, [up, total]]) => ({ check, up, total })),
        });
        const changes = await opts.store.range<{ at: string; from?: string; to: string; headline: string }>(`sched:changes:${env}`, { newestFirst: true, limit: 200 });
        for (const c of changes.map((r) => r.value).reverse()) {
          if (Date.parse(c.at) >= since.getTime() && c.to !== 'ok') view.incidents.push({ env, ...c });
        }
      }
      view.since = since.toISOString();
      for (const [name, source] of opts.sources) {
        try {
          const s = await source(since, now);
          if (s) view.sections.push(s);
        } catch (err) {
          const section: DigestSection = { title: name, lines: [`could not be read: ${(err as Error).message}`] };
          view.sections.push(section);
        }
      }
      const sections = view.uptime.length + view.sections.length + 1;
      if (!opts.channel || !opts.notifier) return `digest built (${sections} sections), no channel to post to`;
      try {
        await opts.notifier.digest(opts.channel, view);
        metrics.notifications.inc({ kind: 'digest', outcome: 'sent' });
      } catch (err) {
        metrics.notifications.inc({ kind: 'digest', outcome: 'failed' });
        throw err;
      }
      return `digest posted (${sections} sections)`;
    },
  };
}
