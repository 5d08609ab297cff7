/**
 * The demo backend's channel-layer receive loop, so a message published in channels_redis' wire format — by a
 * Celery worker, or by ws-doctor's channel-layer check — reaches the demo's sockets as it would reach
 * Daphne's: BZPOPMIN on this process's inbox `asgispecific.<client_prefix>!` in the channel-layer DB, strip
 * the 12-byte prefix, msgpack-decode, and hand `chat.message` events to the sessions named in
 * `__asgi_channel__`. Decoded here on its own, not with the bot's codec (targets/channel-layer.ts): the demo stands
 * in for Daphne, so a mistake in the bot's encoder must show as a failed round trip, not be mirrored.
 *
 * Uses its own Redis connection (a blocking pop would stall every other command on a shared one). While the
 * `redis-down` or `channel-layer-down` fault is on, nothing is popped: the message stays queued, as on a
 * server whose channel layer is broken.
 */
import Redis from 'ioredis';
import { decode } from '@msgpack/msgpack';
import type { FaultSwitches } from './faults';
import { CHANNEL_LAYER_PREFIX } from './store';

/** channels_redis `deserialize`: a 12-byte random prefix, then the msgpack of the message dict. */
function decodeChannelMessage(raw: Buffer): Record<string, unknown> {
  const v = decode(raw.subarray(12));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('channel-layer message is not a map');
  return v as Record<string, unknown>;
}

export interface ChannelLayerReaderOptions {
  redisUrl: string;
  db: number;
  clientPrefix: string;
  faults: FaultSwitches;
  /** Deliver one event to the session owning `channel`; false when no such session is open. */
  deliver(channel: string, event: Record<string, unknown>): boolean;
}

export class ChannelLayerReader {
  private readonly redis: Redis;
  private stopped = false;
  private loop: Promise<void> | undefined;
  readonly inbox: string;

  constructor(private readonly o: ChannelLayerReaderOptions) {
    this.inbox = `${CHANNEL_LAYER_PREFIX}specific.${o.clientPrefix}!`;
    this.redis = new Redis(o.redisUrl, { db: o.db, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000) });
    this.redis.on('error', () => undefined);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.o.faults.isOn('redis-down') || this.o.faults.isOn('channel-layer-down')) {
        await sleep(100);
        continue;
      }
      let popped: [string, Buffer, Buffer] | null = null;
      try {
        // Short blocking timeout so stop() and fault changes are seen quickly.
        popped = (await this.redis.bzpopminBuffer(this.inbox, 0.5)) as [string, Buffer, Buffer] | null;
      } catch {
        if (!this.stopped) await sleep(200);
        continue;
      }
      if (!popped) continue;
      this.dispatch(popped[1]);
    }
  }

  private dispatch(member: Buffer): void {
    let msg: Record<string, unknown>;
    try {
      msg = decodeChannelMessage(member);
    } catch {
      return; // not a channels_redis message: channels_redis would raise in the loop; the demo drops it
    }
    const { __asgi_channel__: targets, ...event } = msg;
    if (event.type !== 'chat.message') return;
    for (const ch of Array.isArray(targets) ? targets : [targets]) if (typeof ch === 'string') this.o.deliver(ch, event);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect(false);
    await this.loop?.catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
