/**
 * Remediation cards in Slack: one channel message per request, kept up to date from the engine's changes —
 * the request, its preview, the decision, progress, the result and, in its thread, before/after. Every change
 * renders the *latest* stored state (updates of one card are serialised and coalesced, so a late event can
 * never show an older state). Buttons exist only while the request is pending.
 *
 * A card Slack no longer has (`message_not_found`, deleted; `channel_not_found`, archived or the bot removed)
 * is posted afresh — to the same channel, or to the requester directly when the channel is gone — and the new
 * location is stored: the story is never silently lost. Cards live in the state store (`message`), so a
 * restarted bot (or another replica) updates the same message, e.g. to say an execution was interrupted.
 */
import type { MessageModel } from '../chat/model';
import { beforeAfter, requestMessage } from '../chat/remediation-message';
import type { RemediationEngine } from '../remediations/engine';
import { FINAL_STATES, type RemediationRequest } from '../remediations/request';
import type { Logger } from '../telemetry/logger';
import { ChannelMessage } from './live-message';
import type { OutboundQueue } from './outbound-queue';

const LOST = new Set(['message_not_found', 'cant_update_message', 'channel_not_found', 'is_archived', 'not_in_channel']);

export class RemediationCards {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly threaded = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly engine: RemediationEngine,
    private readonly queue: OutboundQueue,
    private readonly sealed: (m: MessageModel) => MessageModel,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.unsubscribe = engine.onChange((r) => this.changed(r));
  }

  close(): void {
    this.unsubscribe();
  }

  /** Resolves when every card update started so far is done (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }

  private changed(r: RemediationRequest): void {
    // Only requests made in Slack have a card (the console and CLI answer in place).
    if (!r.channel && !r.message) return;
    this.dirty.add(r.id);
    if (this.chains.has(r.id)) return;
    const run = (async () => {
      while (this.dirty.has(r.id)) {
        this.dirty.delete(r.id);
        try {
          await this.render(r.id);
        } catch (err) {
          this.log.warn(`remediation card ${r.id} not updated: ${(err as Error).message}`);
        }
      }
    })().finally(() => this.chains.delete(r.id));
    this.chains.set(r.id, run);
  }

  private async render(id: string): Promise<void> {
    const r = await this.engine.get(id);
    if (!r) return;
    const model = this.sealed(requestMessage(r, this.prefix));
    if (r.message) {
      try {
        await new ChannelMessage(this.queue, r.message.channel, { existingTs: r.message.ts }).show(model);
      } catch (err) {
        const code = (err as { error?: string }).error ?? '';
        if (!LOST.has(code)) throw err;
        this.log.warn(`remediation card ${id} is gone from Slack (${code}): posting it again`);
        const channel = code === 'message_not_found' || code === 'cant_update_message' ? r.message.channel : r.requester.id;
        await this.post(r, model, channel, code === 'message_not_found' ? undefined : r.message.channel);
      }
    } else if (r.channel) {
      await this.post(r, model, r.channel, undefined);
    }
    if (FINAL_STATES.includes(r.state) && !this.threaded.has(id)) {
      const ba = beforeAfter(r);
      const at = (await this.engine.get(id))?.message;
      if (ba && at) {
        this.threaded.add(id);
        await new ChannelMessage(this.queue, at.channel, { threadTs: at.ts }).show(ba).catch((err) => this.log.warn(`before/after not posted: ${(err as Error).message}`));
      }
    }
  }

  private async post(r: RemediationRequest, model: MessageModel, channel: string, lostChannel: string | undefined): Promise<void> {
    const msg = new ChannelMessage(this.queue, channel);
    const shown: MessageModel = lostChannel
      ? { ...model, blocks: [{ type: 'context', text: `The card in the original channel is gone; it continues here.` }, ...model.blocks] }
      : model;
    await msg.show(shown);
    const at = msg.location();
    if (at) await this.engine.setMessage(r.id, at);
  }
}
