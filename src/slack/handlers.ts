/**
 * Bolt listeners → SlackBot. The only file that knows Bolt's argument shapes; it does not know (or ask) whether
 * the request came over HTTP or Socket Mode.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { SlackBot } from './bot';
import { FORM_CALLBACK_PREFIX } from './forms';
import { ACTION_PREFIX } from './render';

export function registerListeners(app: App, bot: SlackBot, command: string): void {
  app.command(command, async ({ command: cmd, ack, context }) => {
    await bot.onCommand(
      {
        text: cmd.text ?? '',
        user_id: cmd.user_id,
        user_name: cmd.user_name,
        channel_id: cmd.channel_id,
        response_url: cmd.response_url,
        trigger_id: cmd.trigger_id,
      },
      async (body) => (body ? ack(body as never) : ack()),
      context.retryNum,
    );
  });

  app.action<BlockAction<ButtonAction>>(new RegExp(`^${ACTION_PREFIX}:`), async ({ body, action, ack }) => {
    const c = body.container as Record<string, unknown>;
    const container =
      c.type === 'view'
        ? { type: 'view' as const, viewId: String(c.view_id ?? body.view?.id ?? '') }
        : {
            type: 'message' as const,
            channelId: String(c.channel_id ?? body.channel?.id ?? ''),
            messageTs: String(c.message_ts ?? body.message?.ts ?? ''),
            isEphemeral: c.is_ephemeral === true,
          };
    await bot.onAction(
      {
        actionId: action.action_id,
        ...(action.block_id ? { blockId: action.block_id } : {}),
        ...(action.value !== undefined ? { value: action.value } : {}),
        userId: body.user.id,
        ...(body.user.username ? { userName: body.user.username } : {}),
        triggerId: body.trigger_id,
        ...(body.response_url ? { responseUrl: body.response_url } : {}),
        container,
      },
      async () => {
        await ack();
      },
    );
  });

  app.view({ callback_id: new RegExp(`^${FORM_CALLBACK_PREFIX}`), type: 'view_submission' }, async ({ ack, body, view }) => {
    await bot.onViewSubmission(
      {
        callbackId: view.callback_id,
        ...(view.private_metadata ? { privateMetadata: view.private_metadata } : {}),
        userId: body.user.id,
        ...(body.user.name ? { userName: body.user.name } : {}),
        values: (view.state?.values ?? {}) as Record<string, Record<string, { value?: string | null }>>,
      },
      async (b) => (b ? ack(b) : ack()),
    );
  });

  app.event('app_mention', async ({ event, body, context }) => {
    await bot.onMention(
      {
        text: event.text ?? '',
        user: event.user ?? '',
        channel: event.channel,
        ts: event.ts,
        ...(event.thread_ts ? { threadTs: event.thread_ts } : {}),
        ...(event.bot_id ? { botId: event.bot_id } : {}),
        ...(body.event_id ? { eventId: body.event_id } : {}),
      },
      context.retryNum,
    );
  });

  app.event('app_home_opened', async ({ event, body, context }) => {
    await bot.onHomeOpened(
      { user: event.user, ...(event.tab ? { tab: event.tab } : {}), ...(body.event_id ? { eventId: body.event_id } : {}) },
      context.retryNum,
    );
  });
}
