/** What adapters (commands, buttons, the webhook receiver) may ask of the alerts core. AlertService implements it. */
import type { RuleError } from './evaluator';
import type { AlertListing } from './service';
import type { AlertRule, IncidentView, MaintenanceWindow } from './types';

export interface AlertsApi {
  readonly rules: readonly AlertRule[];
  list(env?: string): Promise<{ alerts: AlertListing[]; errors: RuleError[]; prometheusDown?: string }>;
  test(rule: string, env: string, user: string): Promise<{ ok: boolean; message: string; incident?: string }>;
  acknowledge(incident: string, user: string): Promise<{ ok: boolean; message: string }>;
  silenceIncident(incident: string, durationMs: number, user: string, comment?: string): Promise<{ ok: boolean; message: string }>;
  silenceRule(rule: string, env: string, durationMs: number, user: string, comment?: string): Promise<{ ok: boolean; message: string }>;
  startMaintenance(env: string, durationMs: number, reason: string, user: string): Promise<MaintenanceWindow>;
  activeMaintenance(env: string): Promise<MaintenanceWindow | undefined>;
  view(incident: string): Promise<IncidentView | undefined>;
}
