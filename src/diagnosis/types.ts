/** What diagnosis produces from a set of findings: one verdict that names causes, not just symptoms. */
import type { Finding } from '../checks/types';

/** ok: nothing wrong. degraded: works with a defect. down: users cannot chat. unknown: could not tell. */
export type Overall = 'ok' | 'degraded' | 'down' | 'unknown';

export interface Cause {
  /** Stable id, e.g. `redis-down`, `ssl-redirect` (diagnosis/causes.ts). */
  id: string;
  title: string;
  /** Why we believe it: which findings, in one or two sentences. */
  why: string;
  /** Checks whose failures this cause explains. */
  explains: string[];
  /** The single next thing a person should do. */
  nextStep: string;
  /** Remediation ids that fit (executed by the remediation issue; named here already). */
  remediations: string[];
  /** Guide / target-system section. */
  ref: string;
  severity: Exclude<Overall, 'ok' | 'unknown'>;
}

export interface Verdict {
  overall: Overall;
  /** One line, root cause first: "Down: Redis is unreachable — token endpoint 500 and chat 403 follow from it". */
  headline: string;
  rootCause?: Cause;
  /** Further independent causes, most severe first. */
  otherCauses: Cause[];
  /** check name → id of the cause that explains its failure. */
  explainedBy: Record<string, string>;
  /** What the probe itself changed in the stack's state (a counter a rejected handshake decremented). */
  probeChanges?: string[];
}

export interface StatusReport {
  env: string;
  startedAt: string;
  durationMs: number;
  findings: Finding[];
  verdict: Verdict;
  /** Checks cut off by their timeout or the run's deadline. */
  timedOut: string[];
}
