/**
 * How a pressed button's update reaches Slack, per effect (chat/actions/types.ts) and per place:
 *
 * | effect  | private message (response_url)      | channel message                         | App Home           |
 * |---------|-------------------------------------|-----------------------------------------|--------------------|
 * | update  | replace_original via response_url   | chat.update (response_url if not member)| board re-publishes |
 * | details | modal for the presser               | thread reply (modal if not a member)    | modal              |
 * | post    | posted to the channel, copy removed | posted to the channel                   | (refused)          |
 * | reply   | new ephemeral for the presser       | new ephemeral for the presser           | modal              |
 *
 * A trigger_id expires 3 s after the click: a modal whose content still has to be computed is opened at the first
 * `progress` with the placeholder and updated with the final content.
 */
import type { Effect, Place } from '../chat/actions/types';
import type { MessageModel } from '../chat/model';
import type { ActionInput } from './inputs';
import { ChannelMessage, ResponseUrlMessage, type LiveMessage } from './live-message';
import type { OutboundQueue } from './outbound-queue';
import { renderModal } from './render';

const NOT_A_MEMBER = new Set(['not_in_channel', 'channel_not_found', 'thread_not_found']);

export class ActionEffects {
  private target: LiveMessage | undefined;
  private viewId: string | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly queue: OutboundQueue,
    private readonly a: ActionInput,
    private readonly place: Place,
    /** Seals the button values of a model about to be shown. */
    private readonly sealed: (m: MessageModel) => MessageModel,
  ) {}

  /** An interim state; failures to show it are not fatal (the final answer follows). */
  progress(effect: Effect, model: MessageModel): void {
    if (effect === 'update') {
      const t = this.updateTarget();
      if (t) void t.show(model).catch(() => undefined);
    } else if ((effect === 'details' && this.place !== 'channel') || (effect === 'reply' && this.place === 'home')) {
      this.opening ??= this.openModal(model).catch(() => undefined);
    }
  }

  async final(effect: Exclude<Effect, 'post'>, model: MessageModel, note?: string): Promise<void> {
    if (effect === 'update') {
      const t = this.updateTarget();
      // On App Home the board shows the result by itself once the run has finished.
      if (t) await t.show(this.sealed(model), note ? { note } : {});
      return;
    }
    if (effect === 'details' && this.place === 'channel' && this.a.container.type === 'message') {
      // A shared message: the evidence goes into its thread, for everyone who sees the message.
      try {
        await new ChannelMessage(this.queue, this.a.container.channelId, { threadTs: this.a.container.messageTs }).show(this.sealed(model));
        return;
      } catch (err) {
        if (!NOT_A_MEMBER.has((err as { error?: string }).error ?? '')) throw err;
      }
      return this.modal(model, 'Details');
    }
    if (effect === 'details') return this.modal(model, 'Details');
    return this.reply(model);
  }

  /** Into the channel for everyone; a private original has served its purpose (and its buttons go with it). */
  async post(model: MessageModel, note: string): Promise<void> {
    if (this.a.container.type !== 'message') return this.reply({ text: 'Nothing to post from here.', blocks: [{ type: 'text', text: 'Nothing to post from here.' }] });
    const channel = new ChannelMessage(this.queue, this.a.container.channelId, this.a.responseUrl ? { fallbackResponseUrl: this.a.responseUrl } : {});
    await channel.show(this.sealed(model), { note });
    if (this.place === 'private' && this.a.responseUrl) await new ResponseUrlMessage(this.queue, this.a.responseUrl).delete();
  }

  /** Only for the presser, the message itself untouched (refusals, confirmations). */
  async reply(model: MessageModel): Promise<void> {
    if (this.a.container.type === 'message' && this.a.responseUrl) {
      await new ResponseUrlMessage(this.queue, this.a.responseUrl, 'ephemeral', false).show(this.sealed(model));
      return;
    }
    return this.modal(model, 'ws-doctor');
  }

  private updateTarget(): LiveMessage | undefined {
    if (this.target) return this.target;
    const c = this.a.container;
    if (c.type === 'view') return undefined;
    if (c.isEphemeral) {
      if (!this.a.responseUrl) return undefined;
      this.target = new ResponseUrlMessage(this.queue, this.a.responseUrl, 'ephemeral', true);
    } else {
      this.target = new ChannelMessage(this.queue, c.channelId, { existingTs: c.messageTs, ...(this.a.responseUrl ? { fallbackResponseUrl: this.a.responseUrl } : {}) });
    }
    return this.target;
  }

  private async openModal(model: MessageModel, title = 'Details'): Promise<void> {
    const opened = await this.queue.enqueue({
      lane: `view:${this.a.userId}`,
      call: { type: 'api', method: 'views.open', args: { trigger_id: this.a.triggerId, view: renderModal(this.sealed(model), { title }) } },
    });
    this.viewId = (opened.view as { id?: string } | undefined)?.id;
  }

  private async modal(model: MessageModel, title: string): Promise<void> {
    if (this.opening) {
      await this.opening;
      if (!this.viewId) return;
      await this.queue.enqueue({
        lane: `view:${this.a.userId}`,
        mergeKey: `views.update:${this.viewId}`,
        call: { type: 'api', method: 'views.update', args: { view_id: this.viewId, view: renderModal(this.sealed(model), { title }) } },
      });
      return;
    }
    await this.openModal(model, title);
  }
}
