/**
 * The alert model shared by evaluator, pipeline and adapters. Nothing here knows Slack: adapters render
 * IncidentView (see chat/alert-card.ts) and turn clicks back into AlertService calls.
 */
import type { Severity } from './rules/schema';

export type { Severity } from './rules/schema';

export interface RuleSource {
  file: string;
  group: string;
  /** `groups[0].rules[2]` */
  path: string;
}

interface RuleBase {
  name: string;
  group: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runbook?: string;
  remediations: string[];
  channel?: string;
  severity: Severity;
  dependsOn: string[];
  /** Evaluation interval of the rule's group (ms). */
  intervalMs: number;
  source: RuleSource;
}

export interface PromRule extends RuleBase {
  kind: 'prom';
  expr: string;
  forMs: number;
  keepFiringForMs: number;
}

export interface CheckRule extends RuleBase {
  kind: 'check';
  check: string;
  /** Lowest finding status that counts as failing. */
  failOn: 'fail' | 'warn';
  signal?: string;
  failAfter: number;
  resolveAfter: number;
}

export type AlertRule = PromRule | CheckRule;

export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'resolved';

/** Where an alert comes from: our own rules, Alertmanager's webhook, or the evaluator about itself. */
export type AlertOrigin = 'rule' | 'alertmanager' | 'meta';

/** One alert instance (one rule × one label set), as persisted under `alert:<fingerprint>`. */
export interface AlertState {
  fingerprint: string;
  rule: string;
  env: string;
  origin: AlertOrigin;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: Severity;
  phase: AlertPhase;
  /** When the condition first held in this episode (pending start). */
  activeSince?: number;
  firedAt?: number;
  resolvedAt?: number;
  /** Last evaluation at which the condition held (keep_firing_for counts from here). */
  lastActiveAt?: number;
  lastEvalAt: number;
  value?: number;
  /** Check rules: runs in a row failing / passing. */
  fails: number;
  passes: number;
  /** Epoch ms of recent firing/resolved transitions (flap detection). */
  transitions: number[];
  flapping: boolean;
  /** What the pipeline last delivered for this alert; the notify stage writes it, dedup compares with it. */
  notified?: { phase: AlertPhase; flapping: boolean; at: number; incident: string };
  /** Set for `/ws alerts test`: marked as a test everywhere, never persisted as a real alert. */
  test?: boolean;
  /** Alertmanager: link back to the source. */
  generatorUrl?: string;
  /** Check rules: the diagnosis' root cause for this check's failure, when it names one (root-cause grouping). */
  cause?: { id: string; title: string };
  /** Last one-line reason (check summary, or the evaluation error). */
  summary?: string;
}

/** What the evaluator saw for one rule in one tick. */
export type Observation =
  | { kind: 'prom'; series: Array<{ labels: Record<string, string>; value: number }> }
  | { kind: 'check'; failing: boolean; summary: string; cause?: { id: string; title: string } }
  /** The source could not answer (Prometheus down, check runner error): nothing changes, nothing resolves. */
  | { kind: 'unknown'; reason: string };

export interface Silence {
  id: string;
  /** Exact label matches; `alertname` matches the rule name. */
  matchers: Record<string, string>;
  env: string;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  /** Incident card the silence was set from (its thread gets the expiry notice). */
  incident?: string;
  noticeSent?: boolean;
}

export interface MaintenanceWindow {
  id: string;
  env: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
  /** `config` windows are re-read at start; `chat` ones live in the state store. */
  from: 'config' | 'chat';
}

/** A reference to a posted message, as the adapter returned it (Slack: channel + ts). */
export interface CardRef {
  channel: string;
  ts: string;
}

/** One incident: the alerts that share a root cause and so one card. Persisted under `incident:<key>`. */
export interface Incident {
  key: string;
  env: string;
  title: string;
  /** The cause's description when grouping came from depends_on or the diagnosis. */
  cause?: { kind: 'alert' | 'diagnosis'; id: string; title: string };
  channel?: string;
  card?: CardRef;
  /** Fingerprints: first the root, then held-back symptoms. */
  members: string[];
  openedAt: number;
  closedAt?: number;
  ackedBy?: { user: string; at: number };
  test?: boolean;
  graphPosted?: boolean;
  /** Its alerts turned out to be symptoms of another incident's cause and moved there. */
  mergedInto?: { key: string; title: string };
}

/** Everything an adapter needs to draw a card, resolved from the store. */
export interface IncidentView {
  incident: Incident;
  root: AlertState;
  rootRule?: AlertRule;
  symptoms: AlertState[];
  silence?: Silence;
  maintenance?: MaintenanceWindow;
  status: 'firing' | 'resolved' | 'flapping';
}

/** A follow-up line posted in the card's thread. */
export interface ThreadNote {
  text: string;
  /** Chat user ids in `text` that adapters may turn into mentions (nothing else in `text` ever pings). */
  mentions?: string[];
  kind: 'repeat' | 'resolved' | 'fired' | 'ack' | 'silence' | 'silence-expiring' | 'silence-ended' | 'flapping' | 'info' | 'maintenance';
}
