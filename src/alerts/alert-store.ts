/**
 * Alert bookkeeping over the StateStore: alert instances, incidents, silences, maintenance windows, each
 * under its own key prefix. Every value is plain JSON, so either store implementation (SQLite or Redis) keeps
 * it across restarts: the bot neither re-posts nor forgets what it already said.
 */
import type { StateStore } from '../state/store';
import type { AlertState, Incident, MaintenanceWindow, Silence } from './types';

const LIST_LIMIT = 100_000;

export class AlertStore {
  constructor(readonly store: StateStore) {}

  private alertKey(env: string, fp: string): string {
    return `alert:${env}:${fp}`;
  }

  async alerts(env?: string): Promise<AlertState[]> {
    const rows = await this.store.list<AlertState>(env ? `alert:${env}:` : 'alert:', { limit: LIST_LIMIT });
    return rows.map((r) => r.value);
  }

  async alert(env: string, fp: string): Promise<AlertState | undefined> {
    return (await this.store.get<AlertState>(this.alertKey(env, fp)))?.value;
  }

  async putAlert(a: AlertState): Promise<void> {
    await this.store.put(this.alertKey(a.env, a.fingerprint), a);
  }

  async deleteAlert(a: AlertState): Promise<void> {
    await this.store.delete(this.alertKey(a.env, a.fingerprint));
  }

  async incident(key: string): Promise<Incident | undefined> {
    return (await this.store.get<Incident>(`incident:${key}`))?.value;
  }

  async putIncident(i: Incident): Promise<void> {
    await this.store.put(`incident:${i.key}`, i);
  }

  async incidents(): Promise<Incident[]> {
    return (await this.store.list<Incident>('incident:', { limit: LIST_LIMIT })).map((r) => r.value);
  }

  async deleteIncident(key: string): Promise<void> {
    await this.store.delete(`incident:${key}`);
  }

  async silences(): Promise<Silence[]> {
    return (await this.store.list<Silence>('silence:', { limit: LIST_LIMIT })).map((r) => r.value);
  }

  /** Kept an hour past its end (so the "ended" notice can still be sent), then the store forgets it. */
  async putSilence(s: Silence): Promise<void> {
    await this.store.put(`silence:${s.id}`, s, { ttlMs: Math.max(1, s.endsAt - Date.now()) + 3_600_000 });
  }

  async deleteSilence(id: string): Promise<boolean> {
    return await this.store.delete(`silence:${id}`);
  }

  async maintenance(): Promise<MaintenanceWindow[]> {
    return (await this.store.list<MaintenanceWindow>('maint:', { limit: LIST_LIMIT })).map((r) => r.value);
  }

  async putMaintenance(w: MaintenanceWindow): Promise<void> {
    await this.store.put(`maint:${w.id}`, w, { ttlMs: Math.max(1, w.endsAt - Date.now()) + 3_600_000 });
  }
}
