/**
 * Remediation cards in Slack: one channel message per request, kept up to date from the engine's changes —
 * the request, its preview, the decision, progress, the result and, in its thread, before/after. Every change
 * renders the *latest* stored state (updates of one card are serialised and coalesced, so a late event can
 * never show an older state). Buttons exist only while the request is pending.
 *
 * Nothing is silently lost:
 * - a card Slack no longer has (`message_not_found`, deleted) is posted afresh in the same channel;
 * - a channel that is gone (`channel_not_found`, `is_archived`, `not_in_channel`: deleted, archived, the bot
 *   removed), when the card is first posted or later, moves the card to the requester's direct messages
 *   (conversations.open + chat.postMessage), saying why; whoever approves or denies it gets a copy in theirs,
 *   and both are kept up to date to the end. The request itself lives in the state store, so the flow goes on
 *   regardless, and its decision is a compare-and-set: a move never runs anything twice.
 * Cards live in the state store (`message`, `dms`), so a restarted bot (or another replica) updates the same
 * messages, e.g. to say an execution was interrupted.
 */
import type { MessageModel } from '../chat/model';
import { beforeAfter, requestMessage } from '../chat/remediation-message';
import { inlineCode } from '../chat/text';
import type { RemediationEngine } from '../remediations/engine';
import { FINAL_STATES, type RemediationRequest } from '../remediations/request';
import type { Logger } from '../telemetry/logger';
import { ChannelMessage } from './live-message';
import type { OutboundQueue } from './outbound-queue';

const MESSAGE_GONE = new Set(['message_not_found', 'cant_update_message']);
const CHANNEL_GONE = new Set(['channel_not_found', 'is_archived', 'not_in_channel']);
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

const codeOf = (err: unknown): string => (err as { error?: string }).error ?? '';

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
        await new ChannelMessage(this.queue, r.message.channel, { existingTs: r.message.ts }).show(this.moved(r, model));
      } catch (err) {
        const code = codeOf(err);
        if (MESSAGE_GONE.has(code)) {
          this.log.warn(`remediation card ${id} is gone from Slack (${code}): posting it again`);
          await this.post(r, this.moved(r, model), r.message.channel);
        } else if (CHANNEL_GONE.has(code) && !r.lostChannel) {
          await this.toDirectMessages(r, model, r.message.channel, code);
        } else throw err;
      }
    } else if (r.channel) {
      try {
        await this.post(r, model, r.channel);
      } catch (err) {
        const code = codeOf(err);
        if (!CHANNEL_GONE.has(code)) throw err;
        await this.toDirectMessages(r, model, r.channel, code);
      }
    }
    const latest = (await this.engine.get(id)) ?? r;
    if (latest.lostChannel) await this.copiesToDeciders(latest, this.moved(latest, model));
    if (FINAL_STATES.includes(latest.state) && !this.threaded.has(id)) {
      const ba = beforeAfter(latest);
      if (ba && latest.message) {
        this.threaded.add(id);
        await new ChannelMessage(this.queue, latest.message.channel, { threadTs: latest.message.ts }).show(ba).catch((err) => this.log.warn(`before/after not posted: ${(err as Error).message}`));
      }
    }
  }

  /** The card as shown after a move: it says where it came from, and how an approver can still decide. */
  private moved(r: RemediationRequest, model: MessageModel): MessageModel {
    if (!r.lostChannel) return model;
    const how = r.state === 'pending' ? ` An approver can type ${inlineCode(`${this.prefix} remediate approve ${r.id} ${r.preview.id}`)} anywhere.` : '';
    const note = `:warning: The channel ${inlineCode(r.lostChannel.channel)} this request was in is gone (${r.lostChannel.error}); it continues here, in a direct message.${how}`;
    return { ...model, blocks: [{ type: 'context', text: note }, ...model.blocks] };
  }

  /** The channel is gone: the card moves to the requester's direct messages. */
  private async toDirectMessages(r: RemediationRequest, model: MessageModel, lost: string, code: string): Promise<void> {
    this.log.warn(`remediation card ${r.id}: channel ${lost} is gone (${code}); moving it to ${r.requester.id}'s direct messages`);
    const lostChannel = { channel: lost, error: code };
    const shown = this.moved({ ...r, lostChannel }, model);
    if (!SLACK_USER.test(r.requester.id)) throw new Error(`channel ${lost} is gone (${code}) and the requester ${r.requester.id} is not a Slack user`);
    const dm = await this.openDm(r.requester.id);
    const msg = new ChannelMessage(this.queue, dm);
    await msg.show(shown);
    const at = msg.location();
    if (at) await this.engine.setMessage(r.id, at, { lostChannel });
  }

  /** The approver (or whoever decided) gets a copy in their direct messages, kept up to date. */
  private async copiesToDeciders(r: RemediationRequest, model: MessageModel): Promise<void> {
    const people = [r.approver, r.decidedBy].filter((p): p is NonNullable<typeof p> => !!p && p.id !== r.requester.id && SLACK_USER.test(p.id));
    for (const user of [...new Set(people.map((p) => p.id))]) {
      const copy = r.dms?.find((d) => d.user === user);
      try {
        if (copy) {
          await new ChannelMessage(this.queue, copy.channel, { existingTs: copy.ts }).show(model);
          continue;
        }
        const msg = new ChannelMessage(this.queue, await this.openDm(user));
        await msg.show(model);
        const at = msg.location();
        if (at) await this.engine.addDirectCopy(r.id, { user, ...at });
      } catch (err) {
        this.log.warn(`remediation card ${r.id}: copy for ${user} not delivered: ${(err as Error).message}`);
      }
    }
  }

  private async openDm(user: string): Promise<string> {
    const res = await this.queue.enqueue({ lane: `dm:${user}`, call: { type: 'api', method: 'conversations.open', args: { users: user } } });
    const id = (res.channel as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw new Error(`conversations.open for ${user} returned no channel`);
    return id;
  }

  private async post(r: RemediationRequest, model: MessageModel, channel: string): Promise<void> {
    const msg = new ChannelMessage(this.queue, channel);
    await msg.show(model);
    const at = msg.location();
    if (at) await this.engine.setMessage(r.id, at);
  }
}
