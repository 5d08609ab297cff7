/**
 * Idempotency for Slack deliveries. Slack retries events it thinks were not acknowledged (`X-Slack-Retry-Num`,
 * Bolt's `retryNum`), people double-click, and with several HTTP replicas behind a load balancer the retry of a
 * delivery may land on another replica than the first attempt: a key seen within the window is not run again.
 * Keys are the delivery's own identity: the slash command's `trigger_id`, the event's `event_id`, the clicked
 * message + action_id for buttons.
 *
 * Two layers:
 * - `first()`: this process's memory, bounded (oldest keys go first). Synchronous; enough for one process and
 *   for per-person double clicks, which land on whichever replica and are harmless where they matter
 *   (approvals are a compare-and-set in the engine).
 * - `claim()` (events, clicks: what Slack retries, after the ack): the memory first (a repeat on this replica
 *   costs no round trip), then a create-only
 *   compare-and-set of `dedupe:<key>` with the window as TTL in the shared state store, so a retry that lands on
 *   another replica finds the first delivery's claim there.
 *
 * When the store cannot be asked (down, timed out), `claim()` **fails open**: the delivery runs (after the
 * memory check) and the failure is counted in `ws_doctor_state_store_errors_total{op="dedupe"}`. Why: dropping
 * every command while the store is down would make the bot deaf exactly when someone is asking what is wrong,
 * and a duplicate is at worst a second answer to a read-only command — what changes the stack (approving a
 * remediation) is guarded by the engine's own compare-and-set on the request, which needs the store and fails
 * closed.
 */
import type { StateStore } from '../state/store';
import { metrics } from '../telemetry/metrics';

export class Deduper {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = 10 * 60 * 1000,
    private readonly maxKeys = 20000,
    /** The shared store behind `claim()`; without it `claim()` is `first()`. */
    private readonly store?: StateStore,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** True the first time `key` is seen within the window (and remembers it); false for a repeat. */
  first(key: string, windowMs = this.windowMs): boolean {
    const now = Date.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    this.seen.set(key, now + windowMs);
    this.evict(now);
    return true;
  }

  /**
   * True when no replica has taken `key` within the window: this one takes it. False for a repeat seen here or
   * claimed by another replica (counted as a duplicate delivery).
   */
  async claim(key: string, windowMs = this.windowMs): Promise<boolean> {
    if (!this.first(key, windowMs)) {
      metrics.slackDuplicates.inc();
      return false;
    }
    if (!this.store) return true;
    try {
      const won = await this.store.cas(`dedupe:${key}`, 0, { at: Date.now() }, { ttlMs: windowMs });
      if (won === undefined) metrics.slackDuplicates.inc();
      return won !== undefined;
    } catch (err) {
      metrics.stateStoreErrors.inc({ op: 'dedupe' });
      this.log(`delivery ${key} could not be checked against other replicas (${(err as Error).message}); running it`);
      return true;
    }
  }

  /** Forget a key early (e.g. a re-run finished: the next click is a new request). Memory only. */
  forget(key: string): void {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(now: number): void {
    if (this.seen.size <= this.maxKeys) return;
    for (const [k, until] of this.seen) {
      if (this.seen.size <= this.maxKeys && until > now) break;
      this.seen.delete(k);
    }
  }
}
