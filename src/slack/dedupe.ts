/**
 * Idempotency for Slack deliveries. Slack retries events it thinks were not acknowledged (`X-Slack-Retry-Num`,
 * Bolt's `retryNum`), people double-click, and two replicas may both receive an HTTP retry: a key seen within
 * the window is not run again. Keys are the delivery's own identity: the slash command's `trigger_id`, the
 * event's `event_id`, the clicked message + action_id for buttons.
 *
 * In memory, bounded (oldest keys go first): enough for one process; with several HTTP replicas behind a load
 * balancer, put the bot's state store behind this interface instead.
 */
export class Deduper {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = 10 * 60 * 1000,
    private readonly maxKeys = 20000,
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

  /** Forget a key early (e.g. a re-run finished: the next click is a new request). */
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
