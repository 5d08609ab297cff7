/**
 * The answers the bot has shown, by a short reference carried in the message's actions block_id: "Details"
 * opens the evidence of exactly the run the person is looking at, and "Post to channel" shares that run rather
 * than a new one. Ephemeral messages are not returned in button payloads, so the bot keeps them itself.
 * Bounded LRU with a TTL; a miss (restart, eviction) makes the handlers run the command again instead.
 */
import { randomBytes } from 'node:crypto';
import type { MessageModel } from '../chat/model';

export interface StoredResult {
  model: MessageModel;
  /** The command text that produced it (`status --env local`), to re-run on a miss. */
  command: string;
  env: string;
  at: number;
}

export class ResultStore {
  private readonly items = new Map<string, StoredResult>();

  constructor(
    private readonly max = 500,
    private readonly ttlMs = 24 * 60 * 60 * 1000,
  ) {}

  private readonly prefix = randomBytes(3).toString('base64url');
  private seq = 0;

  put(result: Omit<StoredResult, 'at'>): string {
    // Refs only travel inside Slack-signed payloads; unique per process run is enough (no entropy per call).
    const ref = `${this.prefix}${(++this.seq).toString(36)}`;
    this.items.set(ref, { ...result, at: Date.now() });
    while (this.items.size > this.max) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.items.delete(oldest);
    }
    return ref;
  }

  get(ref: string | undefined): StoredResult | undefined {
    if (!ref) return undefined;
    const r = this.items.get(ref);
    if (!r) return undefined;
    if (Date.now() - r.at > this.ttlMs) {
      this.items.delete(ref);
      return undefined;
    }
    return r;
  }
}
