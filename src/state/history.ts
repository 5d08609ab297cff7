/**
 * Check history on the StateStore: one log per environment (`history:<env>`), one record per run with that
 * run's findings. Every append trims the log to the newest `keepRuns` runs — bounded work on every write, in
 * every process, so a one-shot CLI run under cron neither reads nor rewrites anything unbounded, and a crash
 * mid-write loses at most that run (the store's writes are atomic: no torn line to swallow the next one).
 * Deliberately not in the watched Redis: the bot must remember while that Redis is down.
 */
import type { Finding } from '../checks/types';
import type { StateStore } from './store';

/** One check result as remembered: which environment, when the run started, and the finding. */
export interface HistoryEntry {
  env: string;
  at: string;
  finding: Finding;
}

interface RunRecord {
  at: string;
  findings: Finding[];
}

export interface HistoryOptions {
  /** Runs kept per environment. Default 500. */
  keepRuns?: number;
}

export class HistoryStore {
  private readonly keepRuns: number;

  constructor(
    private readonly store: StateStore,
    opts: HistoryOptions = {},
  ) {
    this.keepRuns = opts.keepRuns ?? 500;
  }

  /** Rejects with StateStoreError when the store is unusable (the caller reports it as a finding about the bot). */
  async record(env: string, at: string, findings: readonly Finding[]): Promise<void> {
    if (!findings.length) return;
    const log = logName(env);
    await this.store.append<RunRecord>(log, { at, findings: [...findings] });
    await this.store.trim(log, this.keepRuns);
  }

  /** Newest first; one bounded read (at most the kept runs of one environment). */
  async list(env: string, opts: { check?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    const limit = opts.limit ?? Infinity;
    // Every run holds at least one finding: `limit` runs always hold `limit` entries unless filtered by check.
    const runs = await this.store.range<RunRecord>(logName(env), { newestFirst: true, limit: opts.check ? this.keepRuns : Math.min(this.keepRuns, limit) });
    const out: HistoryEntry[] = [];
    for (const r of runs) {
      for (const finding of r.value.findings) if (!opts.check || finding.check === opts.check) out.push({ env, at: r.value.at, finding });
    }
    out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return Number.isFinite(limit) ? out.slice(0, limit) : out;
  }
}

const logName = (env: string): string => `history:${env}`;
