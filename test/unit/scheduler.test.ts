/**
 * The scheduler's logic on real node-cron timers and the in-memory StateStore: one run per fire across
 * replicas sharing a store, verdict changes posted only when the verdict moves (with what moved), fenced
 * writes refused for a stale fence, the digest's uptime and incidents. (Replicas as real processes on a
 * shared store: test/integration/scheduler-replicas.test.ts.)
 */
import type { StatusReport } from '../../src/diagnosis/types';
import { statusChangeMessage, digestMessage, scheduleMessage } from '../../src/chat/schedule-messages';
import { fencedUpdate } from '../../src/scheduler/fenced';
import { digestJob } from '../../src/scheduler/jobs/digest';
import { statusWatchJob } from '../../src/scheduler/jobs/status-watch';
import { Scheduler } from '../../src/scheduler/scheduler';
import type { DigestView, Notifier, StatusChangeView } from '../../src/scheduler/types';
import { diffVerdicts, snapshotOf } from '../../src/scheduler/verdict-diff';
import { MemoryStateStore } from '../../src/state/memory-store';

jest.setTimeout(30000);

function report(overall: StatusReport['verdict']['overall'], statuses: Record<string, 'ok' | 'warn' | 'fail' | 'unknown'>, rootCause?: string): StatusReport {
  return {
    env: 'prod',
    startedAt: new Date().toISOString(),
    durationMs: 5,
    timedOut: [],
    findings: Object.entries(statuses).map(([check, status]) => ({ check, status, summary: `${check} ${status}`, evidence: {}, durationMs: 1, ref: '' })),
    verdict: {
      overall,
      headline: `${overall}${rootCause ? `: ${rootCause}` : ''}`,
      otherCauses: [],
      explainedBy: {},
      ...(rootCause
        ? { rootCause: { id: rootCause, title: rootCause, why: 'because', explains: [], nextStep: `fix ${rootCause}`, remediations: [], ref: '', severity: 'down' as const } }
        : {}),
    },
  };
}

class RecordingNotifier implements Notifier {
  readonly changes: StatusChangeView[] = [];
  readonly digests: DigestView[] = [];
  async statusChanged(_c: string, v: StatusChangeView): Promise<void> {
    this.changes.push(v);
  }
  async digest(_c: string, v: DigestView): Promise<void> {
    this.digests.push(v);
  }
}

describe('replicas on one store', () => {
  it('three schedulers firing every second run each fire exactly once, and only the leader runs', async () => {
    const store = new MemoryStateStore();
    const runs: Array<{ slot: number; by: string; fence: number }> = [];
    const schedulers = ['a', 'b', 'c'].map((holder) => {
      const s = new Scheduler({ store, holder, leaseTtlMs: 3000 });
      s.add({
        name: 'tick',
        description: 'test',
        cron: '* * * * * *',
        run: async (ctx) => {
          runs.push({ slot: ctx.slot.getTime(), by: holder, fence: ctx.fence });
        },
      });
      return s;
    });
    for (const s of schedulers) await s.start();
    await new Promise((r) => setTimeout(r, 4500));
    for (const s of schedulers) await s.stopFiring();
    for (const s of schedulers) await s.release();
    const perSlot = new Map<number, number>();
    for (const r of runs) perSlot.set(r.slot, (perSlot.get(r.slot) ?? 0) + 1);
    expect(perSlot.size).toBeGreaterThanOrEqual(3);
    expect([...perSlot.values()].every((n) => n === 1)).toBe(true);
    // Leadership is sticky: one replica ran them all, under one fence.
    expect(new Set(runs.map((r) => r.by)).size).toBe(1);
    expect(new Set(runs.map((r) => r.fence)).size).toBe(1);
    expect(schedulers.filter((s) => s.coordinator.isLeader)).toHaveLength(0);
  });

  it('a released lease moves to another replica at its next fire, with a larger fence', async () => {
    const store = new MemoryStateStore();
    const runs: Array<{ by: string; fence: number }> = [];
    const make = (holder: string): Scheduler => {
      const s = new Scheduler({ store, holder, leaseTtlMs: 3000 });
      s.add({ name: 'tick', description: 'test', cron: '* * * * * *', run: async (ctx) => void runs.push({ by: holder, fence: ctx.fence }) });
      return s;
    };
    const a = make('a');
    await a.start();
    const b = make('b');
    await b.start();
    await new Promise((r) => setTimeout(r, 2200));
    await a.stopFiring();
    await a.release();
    await new Promise((r) => setTimeout(r, 2200));
    await b.stopFiring();
    await b.release();
    const firstB = runs.findIndex((r) => r.by === 'b');
    expect(runs[0]?.by).toBe('a');
    expect(firstB).toBeGreaterThan(0);
    expect(runs.slice(firstB).every((r) => r.by === 'b')).toBe(true);
    expect((runs[firstB] as { fence: number }).fence).toBeGreaterThan((runs[0] as { fence: number }).fence);
  });
});

describe('fenced writes', () => {
  it('refuse a writer whose fence is older than the one that wrote last', async () => {
    const store = new MemoryStateStore();
    expect(await fencedUpdate(store, 'k', 2, () => 'new leader')).toEqual({ prev: undefined, next: 'new leader' });
    expect(await fencedUpdate(store, 'k', 1, () => 'old leader')).toBeUndefined();
    expect((await store.get<{ data: string }>('k'))?.value.data).toBe('new leader');
    expect(await fencedUpdate(store, 'k', 3, (p) => `${p} → newer`)).toEqual({ prev: 'new leader', next: 'new leader → newer' });
  });
});

describe('verdict changes', () => {
  it('diff names the checks that moved, worst first; a change of root cause counts as a change', () => {
    const a = snapshotOf(report('ok', { redis: 'ok', web: 'ok', celery: 'ok' }));
    const b = snapshotOf(report('down', { redis: 'fail', web: 'unknown', celery: 'ok' }, 'redis-down'));
    const d = diffVerdicts(a, b);
    expect(d.changed).toBe(true);
    expect(d.checks).toEqual([
      { check: 'redis', from: 'ok', to: 'fail' },
      { check: 'web', from: 'ok', to: 'unknown' },
    ]);
    expect(diffVerdicts(b, snapshotOf(report('down', { redis: 'fail', web: 'fail', celery: 'ok' }, 'redis-down'))).changed).toBe(false);
    expect(diffVerdicts(b, snapshotOf(report('down', { redis: 'fail', web: 'fail', celery: 'ok' }, 'backend-down'))).changed).toBe(true);
    expect(diffVerdicts(undefined, b).changed).toBe(false);
  });

  it('the status job posts only when the verdict changes, remembers the first, and feeds the digest', async () => {
    const store = new MemoryStateStore();
    const notifier = new RecordingNotifier();
    const sequence = [
      report('ok', { redis: 'ok', web: 'ok' }),
      report('ok', { redis: 'ok', web: 'ok' }),
      report('down', { redis: 'fail', web: 'unknown' }, 'redis-down'),
      report('down', { redis: 'fail', web: 'unknown' }, 'redis-down'),
      report('ok', { redis: 'ok', web: 'ok' }),
    ];
    let i = 0;
    const doctor = { envNames: () => ['prod'], status: async () => sequence[i++] as StatusReport };
    const job = statusWatchJob({ doctor, store, cron: '* * * * *', envs: [], channel: 'C0OPS', notifier });
    const notes: string[] = [];
    for (let n = 0; n < sequence.length; n++) notes.push(String(await job.run({ slot: new Date(), fence: 1, signal: new AbortController().signal })));
    expect(notes[0]).toMatch(/first run, remembered/);
    expect(notes[1]).toMatch(/no change/);
    expect(notifier.changes.map((c) => `${c.from}→${c.to}`)).toEqual(['ok→down', 'down→ok']);
    expect(notifier.changes[0]?.checks).toEqual([
      { check: 'redis', from: 'ok', to: 'fail' },
      { check: 'web', from: 'ok', to: 'unknown' },
    ]);
    expect(notifier.changes[0]?.nextStep).toBe('fix redis-down');
    // A replica holding an older fence cannot overwrite the verdict (and posts nothing).
    const stale = statusWatchJob({ doctor: { envNames: () => ['prod'], status: async () => report('down', { redis: 'fail', web: 'ok' }) }, store, cron: '* * * * *', envs: [], channel: 'C0OPS', notifier });
    await store.put('sched:verdict:prod', { fence: 5, data: snapshotOf(report('ok', { redis: 'ok', web: 'ok' })) });
    expect(await stale.run({ slot: new Date(), fence: 4, signal: new AbortController().signal })).toMatch(/newer scheduler lease/);
    expect(notifier.changes).toHaveLength(2);

    const digest = digestJob({ doctor, store, cron: '0 9 * * *', timezone: 'UTC', envs: [], channel: 'C0OPS', notifier, sources: new Map([['remediations', async () => ({ title: 'Remediations', lines: ['restart-redis: succeeded'] })]]) });
    await digest.run({ slot: new Date(), fence: 1, signal: new AbortController().signal });
    const v = notifier.digests[0];
    expect(v?.uptime[0]?.runs).toBe(5);
    expect(v?.uptime[0]?.checks.find((c) => c.check === 'redis')).toEqual({ check: 'redis', up: 3, total: 5 });
    expect(v?.incidents.map((x) => x.to)).toEqual(['down']);
    expect(v?.sections).toEqual([{ title: 'Remediations', lines: ['restart-redis: succeeded'] }]);
    // Taken: the next digest starts a fresh tally.
    await digest.run({ slot: new Date(), fence: 1, signal: new AbortController().signal });
    expect(notifier.digests[1]?.uptime[0]?.runs).toBe(0);
  });
});

describe('messages', () => {
  it('escape what came from outside: a check name or headline cannot become a mention or break a code span', () => {
    const m = statusChangeMessage({ env: 'prod', from: 'ok', to: 'down', headline: '<!channel> down', at: 'now', checks: [{ check: 'x`<!here>', from: 'ok', to: 'fail' }] });
    const text = JSON.stringify(m.blocks);
    expect(text).not.toMatch(/`<!here>/);
    const d = digestMessage({ since: 'a', until: 'b', uptime: [{ env: 'prod', runs: 2, checks: [{ check: 'redis', up: 1, total: 2 }] }], incidents: [], sections: [] });
    expect(JSON.stringify(d.blocks)).toMatch(/redis.*50\.0% \(1\/2\)/);
    expect(scheduleMessage(undefined).text).toMatch(/no scheduled jobs/);
  });
});
