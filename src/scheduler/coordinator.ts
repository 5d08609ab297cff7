/**
 * Exactly one run per scheduled fire across replicas, on the shared state store, as node-cron's RunCoordinator.
 *
 * - The scheduler lease (`scheduler`) says who leads. Each replica tries to take or renew it at every fire, and
 *   the leader renews it every `ttlMs / 3` in between, so leadership is sticky while the leader lives and moves
 *   to another replica at its next fire once the lease has expired (leader killed: takeover within one lease
 *   TTL, which must be shorter than the shortest job interval).
 * - Holding the lease is not enough: a paused leader may not know it lost it. Each fire is also claimed with a
 *   compare-and-set on `sched:fire:<job>:<slot>` (create-only), so a fire runs once even during a handover.
 * - The fence of the lease the fire ran under is handed to the job: its guarded writes refuse to go through
 *   when a newer fence has written already (scheduler/fenced.ts).
 *
 * Single instance (no shared store configured): the same code on the embedded store, where the claim always
 * succeeds; no extra server is needed.
 */
import type { RunCoordinator } from 'node-cron';
import type { Lease, StateStore } from '../state/store';
import { metrics } from '../telemetry/metrics';

export const SCHEDULER_LEASE = 'scheduler';

export class StoreRunCoordinator implements RunCoordinator {
  private lease: Lease | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** Fences of fires this replica claimed, by node-cron key, until the job picks them up. */
  private readonly fences = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly store: StateStore,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.lease !== undefined && this.lease.expiresAt > Date.now();
  }

  get fence(): number | undefined {
    return this.lease?.fence;
  }

  /** Try to lead now (at start-up, so `/ws schedule` and the leader gauge are right before the first fire). */
  async elect(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const lease = await this.store.acquireLease(SCHEDULER_LEASE, this.holder, this.ttlMs);
      this.setLease(lease);
    } catch (err) {
      metrics.stateStoreErrors.inc({ op: 'acquireLease' });
      this.log(`scheduler lease: ${(err as Error).message}`);
      this.setLease(undefined);
    }
    return this.isLeader;
  }

  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    if (this.closed || !(await this.elect()) || !this.lease) return false;
    const fence = this.lease.fence;
    // node-cron's key is `<job name>:<slot ISO time>`: identical on every replica for the same fire.
    const claimed = await this.store.cas(`sched:fire:${key}`, 0, { holder: this.holder, fence }, { ttlMs: Math.max(ttlMs, this.ttlMs * 4) }).catch((err: Error) => {
      metrics.stateStoreErrors.inc({ op: 'cas' });
      throw err;
    });
    if (claimed === undefined) return false;
    this.fences.set(key, fence);
    return true;
  }

  /** The fence a claimed fire ran under (taken once). */
  takeFence(key: string): number {
    const f = this.fences.get(key) ?? this.lease?.fence ?? 0;
    this.fences.delete(key);
    return f;
  }

  onComplete(key: string): void {
    this.fences.delete(key);
  }

  /** Stop renewing and give the lease up, so another replica leads at its next fire instead of after the TTL. */
  async release(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    const lease = this.lease;
    this.lease = undefined;
    metrics.leader.set(0);
    if (lease) await this.store.releaseLease(lease).catch(() => false);
  }

  private setLease(lease: Lease | undefined): void {
    const was = this.isLeader;
    this.lease = lease;
    metrics.leader.set(this.isLeader ? 1 : 0);
    if (this.isLeader && !was) this.log(`scheduler: leading (fence ${lease?.fence})`);
    if (!this.isLeader && was) this.log('scheduler: no longer leading');
    if (this.isLeader && !this.renewTimer && !this.closed) {
      this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
      this.renewTimer.unref();
    } else if (!this.isLeader && this.renewTimer) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  private async renew(): Promise<void> {
    if (!this.lease || this.closed) return;
    try {
      this.setLease(await this.store.renewLease(this.lease, this.ttlMs));
    } catch (err) {
      metrics.stateStoreErrors.inc({ op: 'renewLease' });
      this.log(`scheduler lease renewal: ${(err as Error).message}`);
    }
  }
}
