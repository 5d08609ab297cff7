/**
 * The notification path as a pipeline of small stages, in the manner of Alertmanager's `notify/` package:
 * each stage takes the items the previous one let through and returns the ones it lets through, recording
 * why it held any back. Stages are pure over (items, context) apart from the store writes dedup and notify do,
 * so each is tested alone (test/unit/alerts-stages.test.ts). The order lives in stages.ts, one line each.
 */
import type { AlertStore } from '../alert-store';
import type { IncidentSink } from '../sink';
import type { AlertRule, AlertState, Incident, MaintenanceWindow, Silence } from '../types';

export interface PipelineItem {
  alert: AlertState;
  rule?: AlertRule;
  /** Set by `group`: the incident (card) this alert belongs to. */
  incidentKey?: string;
  /** Set by `group`: fingerprint of the incident's root alert. */
  rootFingerprint?: string;
  incidentTitle?: string;
  cause?: Incident['cause'];
  /** Set by `dependency-suppress`: a held-back symptom; it updates its cause's card but says nothing itself. */
  quiet?: boolean;
}

export interface Held {
  fingerprint: string;
  rule: string;
  stage: string;
  reason: string;
}

export interface PipelineContext {
  now: number;
  env: string;
  rules: ReadonlyMap<string, AlertRule>;
  /** Every live alert of the environment, by fingerprint (dependency lookups, card contents). */
  alerts: ReadonlyMap<string, AlertState>;
  incidents: Map<string, Incident>;
  silences: readonly Silence[];
  maintenance: readonly MaintenanceWindow[];
  store: AlertStore;
  sink: IncidentSink;
  /** Default channel for cards whose rule names none. */
  defaultChannel: string;
  /** A closed incident fires again within this long → the same card reopens. */
  reopenWithinMs: number;
  /** What stages held back this run (for `/ws alerts` and tests). */
  held: Held[];
  /** Called once per newly posted card (graph upload); not awaited by the pipeline. */
  onCardPosted?: (view: import('../types').IncidentView) => void;
  log?: { warn(msg: string): void };
}

export interface Stage {
  readonly name: string;
  run(items: PipelineItem[], ctx: PipelineContext): Promise<PipelineItem[]>;
}

export function hold(ctx: PipelineContext, stage: string, item: PipelineItem, reason: string): void {
  ctx.held.push({ fingerprint: item.alert.fingerprint, rule: item.alert.rule, stage, reason });
}
