/**
 * The digest's uptime tally: per environment and check, how many scheduled runs there were and how many were
 * ok (or warn: working with a defect), since the last digest. One store key per environment, updated by CAS.
 */
import type { StatusReport } from '../../diagnosis/types';
import type { StateStore } from '../../state/store';

export interface Tally {
  since: string;
  runs: number;
  /** check → [up, total] */
  checks: Record<string, [number, number]>;
}

export const tallyKey = (env: string): string => `sched:tally:${env}`;

export async function tallyRun(store: StateStore, env: string, report: StatusReport): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await store.get<Tally>(tallyKey(env));
    const t: Tally = cur ? structuredClone(cur.value) : { since: report.startedAt, runs: 0, checks: {} };
    t.runs++;
    for (const f of report.findings) {
      const [up, total] = t.checks[f.check] ?? [0, 0];
      t.checks[f.check] = [up + (f.status === 'ok' || f.status === 'warn' ? 1 : 0), total + 1];
    }
    if ((await store.cas(tallyKey(env), cur?.version ?? 0, t)) !== undefined) return;
  }
}

/** Take the tally (and start a new one): the digest reports each run once. */
export async function takeTally(store: StateStore, env: string, now: Date): Promise<Tally | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await store.get<Tally>(tallyKey(env));
    if (!cur) return undefined;
    const fresh: Tally = { since: now.toISOString(), runs: 0, checks: {} };
    if ((await store.cas(tallyKey(env), cur.version, fresh)) !== undefined) return cur.value;
  }
  return undefined;
}
