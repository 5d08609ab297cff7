/**
 * channels_redis' own wire format (channels_redis 4.x `core.RedisChannelLayer`, read from its source), so the
 * bot can publish to a chat group exactly as the Celery worker's `group_send` does and see whether the server
 * took the message:
 *
 * - A group is a sorted set `<prefix>:group:<group>` of channel names (score = time added, expiry
 *   `group_expiry`, 86400 s by default).
 * - A process-specific channel `specific.<client_prefix>!<suffix>` is delivered through the process's inbox
 *   key `<prefix>specific.<client_prefix>!` (the name up to and including `!`), a sorted set whose members are
 *   12 random bytes followed by the msgpack of the message dict; score = time sent. The dict carries
 *   `__asgi_channel__`: the list of channel names on that inbox it is for. The server pops members with
 *   BZPOPMIN and dispatches by `type` (`chat.message` → the consumer's `chat_message`).
 * - `group_send` first drops group members older than `group_expiry` and inbox messages older than `expiry`,
 *   then ZADDs one message per inbox and sets the inbox's EXPIRE to `expiry`.
 *
 * This file knows nothing of checks; the client it is given is already on the channel-layer DB.
 */
import { randomBytes } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import type Redis from 'ioredis';

export interface ChannelLayerOptions {
  /** channels_redis `prefix`, default `asgi`. */
  prefix: string;
  /** channels_redis `expiry` (message lifetime, s); the AllThrive settings use 15. */
  expirySeconds?: number;
  /** channels_redis `group_expiry` (s), default 86400. */
  groupExpirySeconds?: number;
}

/** What one `group_send` wrote: per inbox key, the exact member (so its fate can be looked up). */
export interface GroupSendResult {
  channels: string[];
  writes: Array<{ key: string; member: Buffer }>;
}

/** `specific.abc!def` → `specific.abc!` (channels_redis `non_local_name`); other names unchanged. */
export function nonLocalName(channel: string): string {
  const i = channel.indexOf('!');
  return i >= 0 ? channel.slice(0, i + 1) : channel;
}

/** channels_redis `serialize`: 12 random bytes + msgpack (bin type for bytes, str for text). */
export function encodeChannelMessage(message: Record<string, unknown>): Buffer {
  return Buffer.concat([randomBytes(12), Buffer.from(encode(message))]);
}

/** channels_redis `deserialize`: drop the 12-byte prefix, msgpack-decode. */
export function decodeChannelMessage(raw: Buffer): Record<string, unknown> {
  const v = decode(raw.subarray(12));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('channel-layer message is not a map');
  return v as Record<string, unknown>;
}

export class ChannelLayer {
  readonly prefix: string;
  readonly expirySeconds: number;
  readonly groupExpirySeconds: number;

  constructor(
    private readonly redis: Redis,
    o: ChannelLayerOptions,
  ) {
    this.prefix = o.prefix;
    this.expirySeconds = o.expirySeconds ?? 15;
    this.groupExpirySeconds = o.groupExpirySeconds ?? 86400;
  }

  groupKey(group: string): string {
    return `${this.prefix}:group:${group}`;
  }

  inboxKey(channel: string): string {
    return this.prefix + nonLocalName(channel);
  }

  /** Channel names in a group (read only: expired members are left for channels_redis to drop). */
  async groupMembers(group: string): Promise<string[]> {
    return await this.redis.zrange(this.groupKey(group), 0, '-1');
  }

  /** `group_send(group, message)` as channels_redis does it (without its capacity check: one probe message). */
  async groupSend(group: string, message: Record<string, unknown>): Promise<GroupSendResult> {
    const now = Date.now() / 1000;
    const gk = this.groupKey(group);
    await this.redis.zremrangebyscore(gk, 0, Math.floor(now) - this.groupExpirySeconds);
    const channels = await this.redis.zrange(gk, 0, '-1');
    const byInbox = new Map<string, string[]>();
    for (const ch of channels) {
      const k = this.inboxKey(ch);
      byInbox.set(k, [...(byInbox.get(k) ?? []), ch]);
    }
    const writes: GroupSendResult['writes'] = [];
    for (const [key, chans] of byInbox) {
      const member = encodeChannelMessage({ ...message, __asgi_channel__: chans });
      const tx = this.redis.multi();
      tx.zremrangebyscore(key, 0, Math.floor(now) - this.expirySeconds);
      tx.zadd(key, now, member);
      tx.expire(key, this.expirySeconds);
      const res = await tx.exec();
      // A failed command inside MULTI (OOM, READONLY) comes back as an error in its slot.
      const failed = res?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      writes.push({ key, member });
    }
    return { channels, writes };
  }

  /** Whether a written message is still waiting in its inbox (not yet popped by the server). */
  async stillQueued(w: { key: string; member: Buffer }): Promise<boolean> {
    return (await this.redis.zscore(w.key, w.member)) !== null;
  }

  /** Remove a written message the server never took (so it is not delivered late, after the probe left). */
  async withdraw(w: { key: string; member: Buffer }): Promise<boolean> {
    return (await this.redis.zrem(w.key, w.member)) === 1;
  }
}
