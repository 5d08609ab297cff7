/** What handlers.ts hands the bot, Bolt's argument shapes already taken apart (the same over HTTP and Socket Mode). */
export interface CommandInput {
  text: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  response_url: string;
  trigger_id: string;
}

export interface ActionInput {
  actionId: string;
  blockId?: string;
  value?: string;
  userId: string;
  userName?: string;
  triggerId: string;
  responseUrl?: string;
  container:
    | { type: 'message'; channelId: string; messageTs: string; isEphemeral: boolean }
    | { type: 'view'; viewId: string };
}

export interface HomeOpenedInput {
  user: string;
  tab?: string;
  eventId?: string;
}

/** An `app_mention` event: someone wrote `@ws-doctor …` in a channel the bot is in. */
export interface MentionInput {
  /** The message text as Slack sends it: the mention is `<@U…>`, and `&`, `<`, `>` are entity-encoded. */
  text: string;
  user: string;
  channel: string;
  ts: string;
  /** Set when the mention was written inside a thread. */
  threadTs?: string;
  /** Set when another bot wrote it: not answered (two bots must not talk each other into a loop). */
  botId?: string;
  eventId?: string;
}
