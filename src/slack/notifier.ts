/**
 * The scheduler's Notifier over the Slack outbound queue: the view rendered as a message model (chat/), then to
 * Block Kit, posted with chat.postMessage (paced per channel, retried, Retry-After honoured by the queue).
 * Scheduled messages carry no buttons: there is no one asking, and a channel post is read by many.
 */
import type { MessageModel } from '../chat/model';
import { digestMessage, statusChangeMessage } from '../chat/schedule-messages';
import type { Notifier } from '../scheduler/types';
import type { OutboundQueue } from './outbound-queue';
import { renderMessage } from './render';

export function slackNotifier(queue: OutboundQueue): Notifier {
  const post = async (channel: string, message: MessageModel): Promise<void> => {
    const r = renderMessage({ ...message, blocks: message.blocks.filter((b) => b.type !== 'actions') });
    await queue.enqueue({ lane: channel, call: { type: 'api', method: 'chat.postMessage', args: { channel, text: r.text, blocks: r.blocks } } });
  };
  return {
    statusChanged: (channel, view) => post(channel, statusChangeMessage(view)),
    digest: (channel, view) => post(channel, digestMessage(view)),
  };
}
