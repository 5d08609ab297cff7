/**
 * What changed between two status runs, as the scheduled status job posts it: the verdict (overall and root
 * cause) and every check whose status moved. Pure: unit-tested on its own.
 */
import type { StatusReport } from '../diagnosis/types';

export interface VerdictSnapshot {
  overall: string;
  headline: string;
  rootCause?: string;
  checks: Record<string, string>;
  at: string;
}

export interface VerdictChange {
  /** The verdict moved (overall or root cause): worth a post. */
  changed: boolean;
  from?: VerdictSnapshot;
  to: VerdictSnapshot;
  /** `redis: ok → fail`, sorted worst-new-status first; checks that appeared or went are named too. */
  checks: Array<{ check: string; from?: string; to?: string }>;
}

export function snapshotOf(report: StatusReport): VerdictSnapshot {
  return {
    overall: report.verdict.overall,
    headline: report.verdict.headline,
    ...(report.verdict.rootCause ? { rootCause: report.verdict.rootCause.id } : {}),
    checks: Object.fromEntries(report.findings.map((f) => [f.check, f.status])),
    at: report.startedAt,
  };
}

const SEVERITY: Record<string, number> = { fail: 0, unknown: 1, warn: 2, ok: 3 };

export function diffVerdicts(from: VerdictSnapshot | undefined, to: VerdictSnapshot): VerdictChange {
  const names = new Set([...Object.keys(from?.checks ?? {}), ...Object.keys(to.checks)]);
  const checks: VerdictChange['checks'] = [];
  for (const check of names) {
    const a = from?.checks[check];
    const b = to.checks[check];
    if (from && a !== b) checks.push({ check, ...(a ? { from: a } : {}), ...(b ? { to: b } : {}) });
  }
  checks.sort((x, y) => (SEVERITY[x.to ?? 'ok'] ?? 3) - (SEVERITY[y.to ?? 'ok'] ?? 3) || x.check.localeCompare(y.check));
  const changed = from !== undefined && (from.overall !== to.overall || from.rootCause !== to.rootCause);
  return { changed, ...(from ? { from } : {}), to, checks };
}
