/**
 * One message the bot keeps up to date: "checking…" first, the answer in the same place later.
 *
 * - Private answers live behind a `response_url` (ephemeral messages cannot be edited with chat.update): the
 *   first post creates the message (or, for a button's URL, targets the clicked message), later ones use
 *   `replace_original: true`. A response_url allows 5 uses in 30 minutes; a placeholder and an answer are 2.
 * - Shared answers are posted with chat.postMessage and edited with chat.update (channel + ts), which has no
 *   such limit. If the bot may not post there (`not_in_channel`, a DM or private channel it is not in), it
 *   falls back to the response_url with `response_type: in_channel`, which Slack allows for a slash command.
 *
 * All sends go through the outbound queue; updates of one message are merged there when they pile up.
 */
import type { MessageModel } from '../chat/model';
import { urlLane, type OutboundQueue } from './outbound-queue';
import { renderMessage, type RenderOptions, type RenderedMessage } from './render';

export interface ShowOptions {
  /** Result reference stored in the actions block ids (Details / Post to channel find the result by it). */
  ref?: string;
  /** Mrkdwn context line shown above the buttons. */
  note?: string;
}

export interface LiveMessage {
  /** Show `model`: the first call creates (or takes over) the message, later calls replace it in place. */
  show(model: MessageModel, opts?: ShowOptions): Promise<void>;
  /** Where the message is visible: `ephemeral` (only the asker) or `channel`. */
  readonly visibility: 'ephemeral' | 'channel';
  /** Channel + ts once known (channel messages only). */
  location(): { channel: string; ts: string } | undefined;
}

const FALLBACK_ERRORS = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action']);
const UPDATE_FALLBACK_ERRORS = new Set([...FALLBACK_ERRORS, 'message_not_found', 'cant_update_message']);

/** One answer shown to fifty people is rendered once (models are immutable once built). */
const renderCache = new WeakMap<MessageModel, Map<string, RenderedMessage>>();

function renderFor(model: MessageModel, visibility: 'ephemeral' | 'channel', opts: ShowOptions = {}): RenderedMessage {
  const key = `${visibility}\u0000${opts.ref ?? ''}\u0000${opts.note ?? ''}`;
  let byKey = renderCache.get(model);
  const hit = byKey?.get(key);
  if (hit) return hit;
  const r: RenderOptions = {
    // A message already in the channel has nothing left to share.
    ...(visibility === 'channel' ? { omitKinds: ['share'] } : {}),
    ...(opts.ref ? { ref: opts.ref } : {}),
    ...(opts.note ? { note: opts.note } : {}),
  };
  const rendered = renderMessage(model, r);
  if (!byKey) renderCache.set(model, (byKey = new Map()));
  if (byKey.size < 8) byKey.set(key, rendered);
  return rendered;
}

/** A message addressed through a response_url. */
export class ResponseUrlMessage implements LiveMessage {
  private shown: boolean;
  private readonly lane: string;

  constructor(
    private readonly queue: OutboundQueue,
    private readonly url: string,
    readonly visibility: 'ephemeral' | 'channel' = 'ephemeral',
    /** True for a button's response_url: the clicked message is the one to replace. */
    replacesOriginal = false,
  ) {
    this.shown = replacesOriginal;
    this.lane = urlLane(url);
  }

  location(): undefined {
    return undefined;
  }

  async show(model: MessageModel, opts?: ShowOptions): Promise<void> {
    const r = renderFor(model, this.visibility, opts);
    const body: Record<string, unknown> = {
      text: r.text,
      blocks: r.blocks,
      response_type: this.visibility === 'channel' ? 'in_channel' : 'ephemeral',
      replace_original: this.shown,
    };
    this.shown = true;
    await this.queue.enqueue({ lane: this.lane, mergeKey: this.lane, call: { type: 'url', url: this.url, body } });
  }

  /** Remove the message (e.g. the private copy after it was posted to the channel). */
  async delete(): Promise<void> {
    await this.queue.enqueue({ lane: this.lane, call: { type: 'url', url: this.url, body: { delete_original: true } } });
  }
}

/** A channel (or thread) message: chat.postMessage once, chat.update after. */
export class ChannelMessage implements LiveMessage {
  readonly visibility = 'channel' as const;
  private at: { channel: string; ts: string } | undefined;
  private fallback: ResponseUrlMessage | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: OutboundQueue,
    private readonly channel: string,
    private readonly opts: { threadTs?: string; existingTs?: string; fallbackResponseUrl?: string } = {},
  ) {
    if (opts.existingTs) this.at = { channel, ts: opts.existingTs };
  }

  location(): { channel: string; ts: string } | undefined {
    return this.at;
  }

  show(model: MessageModel, opts?: ShowOptions): Promise<void> {
    // Serialise per message: an update needs the ts the first post returns.
    const next = this.chain.then(() => this.showNow(model, opts));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async showNow(model: MessageModel, opts?: ShowOptions): Promise<void> {
    if (this.fallback) return this.fallback.show(model, opts);
    const r = renderFor(model, 'channel', opts);
    if (this.at) {
      const { channel, ts } = this.at;
      try {
        await this.queue.enqueue({
          lane: channel,
          mergeKey: `update:${channel}:${ts}`,
          call: { type: 'api', method: 'chat.update', args: { channel, ts, text: r.text, blocks: r.blocks } },
        });
      } catch (err) {
        // A message the bot posted through a response_url (it is not in the channel) is edited the same way:
        // through the response_url of the click that asked for the edit.
        const code = (err as { error?: string }).error;
        if (!(this.opts.existingTs && this.opts.fallbackResponseUrl && code && UPDATE_FALLBACK_ERRORS.has(code))) throw err;
        this.fallback = new ResponseUrlMessage(this.queue, this.opts.fallbackResponseUrl, 'channel', true);
        return this.fallback.show(model, opts);
      }
      return;
    }
    try {
      const res = await this.queue.enqueue({
        lane: this.channel,
        call: {
          type: 'api',
          method: 'chat.postMessage',
          args: { channel: this.channel, text: r.text, blocks: r.blocks, ...(this.opts.threadTs ? { thread_ts: this.opts.threadTs } : {}) },
        },
      });
      const ts = typeof res.ts === 'string' ? res.ts : undefined;
      const channel = typeof res.channel === 'string' ? res.channel : this.channel;
      if (ts) this.at = { channel, ts };
    } catch (err) {
      const code = (err as { error?: string }).error;
      if (this.opts.fallbackResponseUrl && code && FALLBACK_ERRORS.has(code)) {
        this.fallback = new ResponseUrlMessage(this.queue, this.opts.fallbackResponseUrl, 'channel');
        return this.fallback.show(model, opts);
      }
      throw err;
    }
  }
}
