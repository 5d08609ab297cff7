/**
 * Alert bookkeeping over the StateStore: alert instances, incidents, silences, maintenance windows, each
 * under its own key prefix. Every value is plain JSON, so either store implementation (SQLite or Redis) keeps
 * it across restarts: the bot neither re-posts nor forgets what it already said.
 */
import type { StateStore } from '../state/store';
import { alertStateProblem, incidentProblem, maintenanceProblem, silenceProblem } from './stored-shape';
import type { AlertState, Incident, MaintenanceWindow, Silence } from './types';

const LIST_LIMIT = 100_000;

type Check = (v: unknown) => string | undefined;

export class AlertStore {
  /** Keys already reported as unreadable (a tick every second must not log the same row every second). */
  private readonly reported = new Set<string>();

  constructor(
    readonly store: StateStore,
    /** Told once per row that is left out for its shape (stored-shape.ts). */
    private readonly onBadRow: (key: string, why: string) => void = () => undefined,
  ) {}

  private keep<T>(key: string, value: unknown, check: Check): value is T {
    const why = check(value);
    if (why === undefined) return true;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.onBadRow(key, why);
    }
    return false;
  }

  private async listOf<T>(prefix: string, check: Check): Promise<T[]> {
    const rows = await this.store.list<unknown>(prefix, { limit: LIST_LIMIT });
    return rows.filter((r) => this.keep<T>(r.key, r.value, check)).map((r) => r.value as T);
  }

  private async getOf<T>(key: string, check: Check): Promise<T | undefined> {
    const v = (await this.store.get<unknown>(key))?.value;
    return v !== undefined && this.keep<T>(key, v, check) ? (v as T) : undefined;
  }

  private alertKey(env: string, fp: string): string {
    return `alert:${env}:${fp}`;
  }

  async alerts(env?: string): Promise<AlertState[]> {
    return await this.listOf<AlertState>(env ? `alert:${env}:` : 'alert:', alertStateProblem);
  }

  async alert(env: string, fp: string): Promise<AlertState | undefined> {
    return await this.getOf<AlertState>(this.alertKey(env, fp), alertStateProblem);
  }

  async putAlert(a: AlertState): Promise<void> {
    await this.store.put(this.alertKey(a.env, a.fingerprint), a);
  }

  async deleteAlert(a: AlertState): Promise<void> {
    await this.store.delete(this.alertKey(a.env, a.fingerprint));
  }

  async incident(key: string): Promise<Incident | undefined> {
    return await this.getOf<Incident>(`incident:${key}`, incidentProblem);
  }

  async putIncident(i: Incident): Promise<void> {
    await this.store.put(`incident:${i.key}`, i);
  }

  async incidents(): Promise<Incident[]> {
    return await this.listOf<Incident>('incident:', incidentProblem);
  }

  async deleteIncident(key: string): Promise<void> {
    await this.store.delete(`incident:${key}`);
  }

  async silences(): Promise<Silence[]> {
    return await this.listOf<Silence>('silence:', silenceProblem);
  }

  /** Kept an hour past its end (so the "ended" notice can still be sent), then the store forgets it. */
  async putSilence(s: Silence): Promise<void> {
    await this.store.put(`silence:${s.id}`, s, { ttlMs: Math.max(1, s.endsAt - Date.now()) + 3_600_000 });
  }

  async deleteSilence(id: string): Promise<boolean> {
    return await this.store.delete(`silence:${id}`);
  }

  async maintenance(): Promise<MaintenanceWindow[]> {
    return await this.listOf<MaintenanceWindow>('maint:', maintenanceProblem);
  }

  async putMaintenance(w: MaintenanceWindow): Promise<void> {
    await this.store.put(`maint:${w.id}`, w, { ttlMs: Math.max(1, w.endsAt - Date.now()) + 3_600_000 });
  }
}
