/**
 * A strict local stand-in for Slack (Slack itself cannot be reached from here): the Web API methods the bot
 * calls, the response_urls it hands out in slash-command and button payloads, and Socket Mode
 * (`apps.connections.open` + a WebSocket that pushes envelopes and expects `{envelope_id}` acks).
 *
 * - Checks the bot token (`not_authed`, `invalid_auth`, `not_allowed_token_type`) and the scopes declared in
 *   the manifest it is given (`missing_scope`).
 * - Validates every message, ack body and view against the Block Kit limits (slack-blocks.ts) and answers as
 *   Slack does (`invalid_blocks`, `msg_too_long`, `no_text`, `invalid_arguments`, `channel_not_found`,
 *   `not_in_channel`, `message_not_found`, `expired_trigger_id`, `used_url`, …).
 * - Injects faults on demand: HTTP 429 with Retry-After, Slack errors, 5xx, "Slack is down", and calls that
 *   hang (read, never answered: the caller's own timeout must end them).
 * - Keeps what users would see (channel messages, threads, ephemerals per user, modals, Home tabs) and records
 *   every call, every refusal and every Socket Mode ack latency for assertions.
 * - Builds the payloads Slack would send the bot (slash commands, button clicks, app_home_opened) so tests
 *   drive the bot exactly as a person in Slack would.
 *
 * Loopback only, its own free port; `close()` stops everything it started.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import querystring from 'node:querystring';
import { WebSocketServer, WebSocket } from 'ws';
import YAML from 'yaml';
import { liveMarkup, parseMaybeJson, validateMessage, validateView, validateViewAck, type Problem } from './slack-blocks';

type Obj = Record<string, unknown>;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface Manifest {
  scopes: string[];
  commands: string[];
  interactivity: boolean;
  homeTab: boolean;
  botEvents: string[];
  socketMode: boolean;
}

export function readManifest(file = path.join(REPO_ROOT, 'manifest.yml')): Manifest {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Obj;
  const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Obj)[k] : undefined), o);
  return {
    scopes: (get(doc, 'oauth_config', 'scopes', 'bot') as string[] | undefined) ?? [],
    commands: ((get(doc, 'features', 'slash_commands') as Array<{ command: string }> | undefined) ?? []).map((c) => c.command),
    interactivity: get(doc, 'settings', 'interactivity', 'is_enabled') === true,
    homeTab: get(doc, 'features', 'app_home', 'home_tab_enabled') === true,
    botEvents: (get(doc, 'settings', 'event_subscriptions', 'bot_events') as string[] | undefined) ?? [],
    socketMode: get(doc, 'settings', 'socket_mode_enabled') === true,
  };
}

/** Bot scopes each Web API method needs (none listed = no scope needed, only a valid token). */
const METHOD_SCOPES: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'users.info': ['users:read'],
  'usergroups.users.list': ['usergroups:read'],
  'conversations.open': ['im:write'],
  'auth.test': [],
  'views.open': [],
  'views.update': [],
  'views.publish': [],
  'apps.connections.open': [],
};

export interface RecordedCall {
  method: string;
  args: Obj;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  ephemeral: boolean;
  /** For ephemeral messages: who sees it. */
  user?: string;
  threadTs?: string;
  deleted: boolean;
  /** Every version the message had, oldest first (the current one last). */
  versions: Array<{ text: string; blocks: unknown[] }>;
  /** `user`: a person's message (an @-mention the bot was sent), not something the bot posted. */
  via: 'api' | 'response_url' | 'ack' | 'user';
  /** Files shared with this message (files.completeUploadExternal). */
  fileIds?: string[];
}

/** A file shared through files.getUploadURLExternal → upload → files.completeUploadExternal. */
export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  title?: string;
  altText?: string;
  data?: Buffer;
  channel?: string;
  threadTs?: string;
  completed: boolean;
}

export interface Refusal {
  where: string;
  error: string;
  messages: string[];
}

export interface AckRecord {
  envelopeId: string;
  type: string;
  latencyMs: number;
  payload: unknown;
}

type Fault = { kind: '429'; retryAfter: number } | { kind: 'error'; error: string } | { kind: 'http'; status: number } | { kind: 'hang' };

interface ResponseUrlState {
  id: string;
  createdAt: number;
  uses: number;
  channel: string;
  user: string;
  original: StoredMessage | undefined;
}

export interface StoredModal {
  user: string;
  view: Obj;
  versions: Obj[];
  /** Closed by a plain ack of a submission (or `clear`). */
  closed?: boolean;
  /** The field errors of the last `response_action: errors` ack (the modal stays open showing them). */
  errors?: Record<string, string>;
  submissions: number;
}

export interface SlashPayload extends Record<string, string> {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
  trigger_id: string;
}

export interface StandInOptions {
  manifestPath?: string;
  botToken?: string;
  appToken?: string;
  /** Channels that exist; `member: false` = the bot is not in it. Default: C0OPS (member), C0NOBOT (not). */
  channels?: Array<{ id: string; name: string; member?: boolean }>;
  triggerTtlMs?: number;
  /** Server pings on the Socket Mode WebSocket (ms); 0 = none. Default 0. */
  pingIntervalMs?: number;
}

export const STANDIN_TEAM = 'T0STANDIN';

interface Channel {
  id: string;
  name: string;
  member: boolean;
  /** Archived: posts and updates answer `is_archived`. */
  archived?: boolean;
  /** Deleted: every call answers `channel_not_found`. */
  gone?: boolean;
  /** The bot was removed after joining: posts and updates answer `not_in_channel`. */
  kicked?: boolean;
  /** A direct message with this user (conversations.open). */
  dmWith?: string;
}

export class SlackStandIn {
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId = 'U0WSDOCTOR';
  readonly botId = 'B0WSDOCTOR';
  manifest: Manifest;
  readonly calls: RecordedCall[] = [];
  readonly responseUrlCalls: RecordedCall[] = [];
  readonly refusals: Refusal[] = [];
  readonly acks: AckRecord[] = [];
  readonly messages: StoredMessage[] = [];
  /**
   * Live mentions and links found in what the bot sent (`where` + the token). Slack would accept them and ping
   * the channel or show a disguised link, so the stand-in records rather than refuses: tests assert it is empty.
   * Mentions of people who acted (sent a command, clicked, opened Home) are allowed.
   */
  readonly liveMarkup: Array<{ where: string; token: string }> = [];
  private readonly actors = new Set<string>();
  readonly homeViews = new Map<string, { view: Obj; publishes: number }>();
  readonly modals = new Map<string, StoredModal>();
  private readonly channels = new Map<string, Channel>();
  /** Slack user groups (`S…`) and their members, for usergroups.users.list. */
  private readonly userGroups = new Map<string, string[]>();
  private readonly faults = new Map<string, Fault[]>();
  private down = false;
  private readonly triggers = new Map<string, { user: string; expires: number; used: boolean }>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, { sentAt: bigint; type: string; resolve: (r: AckRecord) => void; context?: { user: string; channel: string } }>();
  private readonly connectWaiters: Array<() => void> = [];
  private server!: http.Server;
  private wss!: WebSocketServer;
  private pingTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** Uploads by file id, complete or not. */
  readonly files = new Map<string, StoredFile>();
  port = 0;

  constructor(private readonly opts: StandInOptions = {}) {
    this.botToken = opts.botToken ?? `xoxb-${randomBytes(12).toString('hex')}`;
    this.appToken = opts.appToken ?? `xapp-1-${randomBytes(12).toString('hex')}`;
    this.manifest = readManifest(opts.manifestPath);
    for (const c of opts.channels ?? [
      { id: 'C0OPS', name: 'ops', member: true },
      { id: 'C0NOBOT', name: 'no-bot-here', member: false },
    ]) {
      this.channels.set(c.id, { id: c.id, name: c.name, member: c.member ?? true });
    }
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/socket' || !this.tickets.delete(ticket)) {
        socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    if (this.opts.pingIntervalMs) {
      this.pingTimer = setInterval(() => {
        for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.ping();
      }, this.opts.pingIntervalMs);
    }
    return this;
  }

  async close(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── fault injection ───────────────────────────────────────────────────────────────────────────────────────

  /** The next `times` calls of `method` (or `response_url`, or `*`) answer HTTP 429 with Retry-After. */
  rateLimit(method: string, retryAfterSeconds: number, times = 1): void {
    this.addFault(method, { kind: '429', retryAfter: retryAfterSeconds }, times);
  }

  /** The next `times` calls answer `{ok:false, error}` (or HTTP `status` for a number). */
  fail(method: string, errorOrStatus: string | number, times = 1): void {
    this.addFault(method, typeof errorOrStatus === 'number' ? { kind: 'http', status: errorOrStatus } : { kind: 'error', error: errorOrStatus }, times);
  }

  /**
   * The next `times` calls of `method` (or `response_url`, or `*`) are read and never answered, as when Slack
   * or a proxy on the way wedges: nothing is stored (the call did not happen), the connection stays open until
   * the caller gives up or the stand-in closes. Recorded with status 0.
   */
  hang(method: string, times = 1): void {
    this.addFault(method, { kind: 'hang' }, times);
  }

  /** Slack user group `id` (`S…`) with these members (replaces what it had). */
  setUserGroup(id: string, users: string[]): void {
    this.userGroups.set(id, [...users]);
  }

  /** The channel is archived / deleted / the bot is removed from it: Slack refuses posts and updates there. */
  loseChannel(id: string, how: 'archived' | 'deleted' | 'kicked'): void {
    const c = this.channels.get(id);
    if (!c) throw new Error(`no channel ${id}`);
    if (how === 'archived') c.archived = true;
    else if (how === 'deleted') c.gone = true;
    else c.kicked = true;
  }

  /** The direct-message channel conversations.open made with `user`, if any. */
  dmChannelOf(user: string): string | undefined {
    return [...this.channels.values()].find((c) => c.dmWith === user)?.id;
  }

  /** While down, every Web API and response_url call answers HTTP 503 (nothing is stored). */
  setDown(down: boolean): void {
    this.down = down;
  }

  private addFault(method: string, f: Fault, times: number): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(f);
    this.faults.set(method, list);
  }

  private takeFault(method: string): Fault | undefined {
    for (const key of [method, '*']) {
      const list = this.faults.get(key);
      if (list?.length) return list.shift();
    }
    return undefined;
  }

  // ── what people would see ─────────────────────────────────────────────────────────────────────────────────

  ephemerals(user: string): StoredMessage[] {
    return (this.byUser.get(user) ?? []).filter((m) => !m.deleted);
  }

  /** What the bot posted in the channel (not in threads; people's own messages left out). */
  channelMessages(channel: string): StoredMessage[] {
    return this.messages.filter((m) => !m.ephemeral && m.channel === channel && !m.threadTs && !m.deleted && m.via !== 'user');
  }

  /** What the bot posted in the thread under `ts`. */
  thread(channel: string, ts: string): StoredMessage[] {
    return this.messages.filter((m) => !m.ephemeral && m.channel === channel && m.threadTs === ts && !m.deleted && m.via !== 'user');
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Web API calls plus response_url posts, in order. */
  get allCalls(): RecordedCall[] {
    return [...this.calls, ...this.responseUrlCalls].sort((a, b) => a.at - b.at);
  }

  // ── payloads Slack would send the bot ─────────────────────────────────────────────────────────────────────

  issueTrigger(user: string): string {
    const id = `${++this.seq}.${Date.now()}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(id, { user, expires: Date.now() + (this.opts.triggerTtlMs ?? 3000), used: false });
    return id;
  }

  issueResponseUrl(channel: string, user: string, original?: StoredMessage): string {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { id, createdAt: Date.now(), uses: 0, channel, user, original });
    return `http://127.0.0.1:${this.port}/response/${STANDIN_TEAM}/${id}`;
  }

  slashCommand(opts: { text: string; user?: string; channel?: string; command?: string }): SlashPayload {
    const command = opts.command ?? '/ws';
    if (!this.manifest.scopes.includes('commands')) throw new Error('manifest lacks the `commands` scope: Slack would not deliver slash commands');
    if (!this.manifest.commands.includes(command)) throw new Error(`manifest declares no ${command} command`);
    const user = opts.user ?? 'U0ALICE';
    const channel = opts.channel ?? 'C0OPS';
    this.actors.add(user);
    return {
      token: 'legacy-verification-token',
      team_id: STANDIN_TEAM,
      team_domain: 'standin',
      channel_id: channel,
      channel_name: this.channels.get(channel)?.name ?? 'directmessage',
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text: opts.text,
      api_app_id: 'A0WSDOCTOR',
      is_enterprise_install: 'false',
      response_url: this.issueResponseUrl(channel, user),
      trigger_id: this.issueTrigger(user),
    };
  }

  /** The block_actions payload of `user` clicking the button of `kind` (or exact `actionId`) on `message`. */
  click(message: StoredMessage, which: { kind?: string; actionId?: string; label?: string }, user = 'U0ALICE'): Obj {
    if (!this.manifest.interactivity) throw new Error('manifest has interactivity off: Slack would not deliver clicks');
    const { button, blockId } = findButton(message.blocks, which);
    this.actors.add(user);
    const container = { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: message.ephemeral };
    return {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: STANDIN_TEAM },
      api_app_id: 'A0WSDOCTOR',
      token: 'legacy-verification-token',
      container,
      trigger_id: this.issueTrigger(user),
      team: { id: STANDIN_TEAM, domain: 'standin' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: message.channel, name: this.channels.get(message.channel)?.name ?? 'directmessage' },
      // Slack does not send the content of ephemeral messages back.
      ...(message.ephemeral ? {} : { message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks, user: this.botUserId } }),
      state: { values: {} },
      response_url: this.issueResponseUrl(message.channel, user, message),
      actions: [{ ...button, block_id: blockId, action_ts: `${Date.now() / 1000}` }],
    };
  }

  /** A click on a button of `user`'s App Home. */
  clickHome(user: string, which: { kind?: string; actionId?: string; value?: string }): Obj {
    const home = this.homeViews.get(user);
    if (!home) throw new Error(`no Home tab published for ${user}`);
    const { button, blockId } = findButton((home.view.blocks as unknown[]) ?? [], which);
    return {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: STANDIN_TEAM },
      api_app_id: 'A0WSDOCTOR',
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: `V0HOME${user}` },
      trigger_id: this.issueTrigger(user),
      team: { id: STANDIN_TEAM, domain: 'standin' },
      enterprise: null,
      is_enterprise_install: false,
      view: { id: `V0HOME${user}`, type: 'home', ...home.view },
      actions: [{ ...button, block_id: blockId, action_ts: `${Date.now() / 1000}` }],
    };
  }

  /**
   * `user` pressing Submit on the open modal `viewId` with `values` typed into its inputs (by block_id). Like the
   * Slack client: only the person it was opened for can submit it, a closed one cannot be, and a required input
   * left empty (or text past an input's max_length) never leaves the client. `raw` skips those client checks (a
   * forged submission). Returns the view_submission payload Slack would send.
   */
  submitView(viewId: string, user: string, values: Record<string, string>, opts: { raw?: boolean; privateMetadata?: string } = {}): Obj {
    const modal = this.modals.get(viewId);
    if (!modal) throw new Error(`no modal ${viewId}`);
    if (modal.closed) throw new Error(`modal ${viewId} is closed`);
    if (modal.user !== user) throw new Error(`modal ${viewId} was opened for ${modal.user}, not ${user}`);
    const view = modal.view;
    if (!view.submit) throw new Error(`modal ${viewId} has no submit button`);
    const inputs = ((view.blocks as Obj[]) ?? []).filter((b) => b.type === 'input');
    const state: Record<string, Record<string, Obj>> = {};
    for (const b of inputs) {
      const el = b.element as Obj;
      const v = values[String(b.block_id)] ?? '';
      if (!opts.raw) {
        if (!b.optional && !v.trim()) throw new Error(`input ${String(b.block_id)} is required: Slack would not submit the modal`);
        if (typeof el.max_length === 'number' && [...v].length > el.max_length) throw new Error(`input ${String(b.block_id)} is longer than its max_length: Slack would not submit the modal`);
      }
      state[String(b.block_id)] = { [String(el.action_id)]: { type: 'plain_text_input', value: v === '' ? null : v } };
    }
    for (const k of Object.keys(values)) if (!inputs.some((b) => b.block_id === k) && !opts.raw) throw new Error(`modal ${viewId} has no input ${k}`);
    modal.submissions++;
    this.actors.add(user);
    return {
      type: 'view_submission',
      team: { id: STANDIN_TEAM, domain: 'standin' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: STANDIN_TEAM },
      api_app_id: 'A0WSDOCTOR',
      token: 'legacy-verification-token',
      trigger_id: this.issueTrigger(user),
      view: {
        id: viewId,
        team_id: STANDIN_TEAM,
        type: 'modal',
        blocks: view.blocks,
        private_metadata: opts.privateMetadata ?? view.private_metadata ?? '',
        callback_id: view.callback_id ?? '',
        state: { values: state },
        hash: `${Date.now()}.${randomBytes(4).toString('hex')}`,
        title: view.title,
        close: view.close ?? null,
        submit: view.submit,
        root_view_id: viewId,
        app_id: 'A0WSDOCTOR',
        bot_id: this.botId,
      },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
  }

  /**
   * The bot's ack of a submission of `viewId` (the HTTP response body, or the Socket Mode ack payload): validated
   * as Slack does (errors only for input block_ids of the view); closes the modal or keeps it open with errors.
   */
  acceptViewAck(viewId: string, body: unknown): void {
    const modal = this.modals.get(viewId);
    if (!modal) throw new Error(`no modal ${viewId}`);
    const parsed = typeof body === 'string' ? (body.trim() ? (parseMaybeJson(body) as { ok: boolean; value?: unknown }) : { ok: true, value: undefined }) : { ok: true, value: body };
    if (!parsed.ok) {
      this.refusals.push({ where: 'view_submission ack', error: 'invalid_ack', messages: ['[ERROR] not JSON'] });
      return;
    }
    const problem = validateViewAck(parsed.value, modal.view);
    if (problem) {
      this.refusals.push({ where: 'view_submission ack', ...problem });
      return;
    }
    this.scanMarkup('view_submission ack', parsed.value);
    const v = parsed.value as Obj | undefined;
    if (v?.response_action === 'errors') modal.errors = v.errors as Record<string, string>;
    else {
      delete modal.errors;
      modal.closed = true;
    }
  }

  appHomeOpened(user: string, eventId = `Ev${randomBytes(6).toString('hex').toUpperCase()}`): Obj {
    if (!this.manifest.homeTab || !this.manifest.botEvents.includes('app_home_opened')) {
      throw new Error('manifest does not enable the Home tab and subscribe to app_home_opened');
    }
    return {
      token: 'legacy-verification-token',
      team_id: STANDIN_TEAM,
      api_app_id: 'A0WSDOCTOR',
      event: { type: 'app_home_opened', user, channel: `D0${user}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: STANDIN_TEAM, user_id: this.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
  }

  /**
   * `user` writing `text` in `channel` (the bot's mention as Slack encodes it, `<@U0WSDOCTOR>`, is put first
   * unless the text has it already): the message is stored, and the `app_mention` event Slack would send is
   * returned. Slack sends it only to an app that subscribes to `app_mention` with `app_mentions:read`, and
   * only for a channel the bot is in.
   */
  appMention(opts: { text: string; user?: string; channel?: string; threadTs?: string; eventId?: string }): { body: Obj; message: StoredMessage } {
    if (!this.manifest.scopes.includes('app_mentions:read') || !this.manifest.botEvents.includes('app_mention')) {
      throw new Error('manifest lacks the app_mentions:read scope or the app_mention event: Slack would not deliver mentions');
    }
    const user = opts.user ?? 'U0ALICE';
    const channel = this.channels.get(opts.channel ?? 'C0OPS');
    if (!channel) throw new Error(`no channel ${opts.channel}`);
    if (!channel.member) throw new Error(`the bot is not in ${channel.id}: Slack offers to invite it instead of sending app_mention`);
    this.actors.add(user);
    const mention = `<@${this.botUserId}>`;
    const text = opts.text.includes(mention) ? opts.text : `${mention} ${opts.text}`;
    const message = this.store({ channel: channel.id, text, blocks: [], ephemeral: false, user, via: 'user', ...(opts.threadTs ? { threadTs: opts.threadTs } : {}) });
    const eventTs = message.ts;
    const body = {
      token: 'legacy-verification-token',
      team_id: STANDIN_TEAM,
      api_app_id: 'A0WSDOCTOR',
      event: {
        type: 'app_mention',
        user,
        text,
        ts: message.ts,
        channel: channel.id,
        event_ts: eventTs,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      },
      type: 'event_callback',
      event_id: opts.eventId ?? `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: STANDIN_TEAM, user_id: this.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    return { body, message };
  }

  /** An HTTP-mode slash command's ack body (the 200 response) is the immediate answer: validate and show it. */
  acceptCommandAck(cmd: SlashPayload, body: string): void {
    if (!body.trim()) return;
    let parsed: Obj;
    try {
      parsed = JSON.parse(body) as Obj;
    } catch {
      parsed = { text: body };
    }
    this.storeAckMessage(cmd.user_id, cmd.channel_id, parsed);
  }

  private storeAckMessage(user: string, channel: string, body: Obj): void {
    if (body.text === undefined && body.blocks === undefined) return;
    this.scanMarkup('ack', body);
    const problem = validateMessage(body);
    if (problem) {
      this.refusals.push({ where: 'ack', ...problem });
      return;
    }
    this.store({ channel, text: String(body.text), blocks: (body.blocks as unknown[]) ?? [], ephemeral: body.response_type !== 'in_channel', user, via: 'ack' });
  }

  private scanMarkup(where: string, payload: unknown): void {
    for (const token of liveMarkup(payload, this.actors)) this.liveMarkup.push({ where, token });
  }

  // ── Socket Mode ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Drop every Socket Mode connection abruptly (Slack restarting a server). */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /**
   * What Slack does when it rotates a Socket Mode connection: a `disconnect` message (`refresh_requested` or
   * `link_disabled`), then the close a little later. The app is expected to open a new connection.
   */
  refreshSockets(reason: 'refresh_requested' | 'link_disabled' = 'refresh_requested', closeAfterMs = 200): void {
    for (const ws of this.sockets) {
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'standin' } }));
      setTimeout(() => ws.close(1000), closeAfterMs).unref();
    }
  }

  get socketCount(): number {
    return [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN).length;
  }

  async waitForSocket(timeoutMs = 10000): Promise<void> {
    if (this.socketCount > 0) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no Socket Mode connection')), timeoutMs);
      this.connectWaiters.push(() => (clearTimeout(t), resolve()));
    });
  }

  /**
   * Push an envelope to one connected client (Slack delivers each to one connection) and resolve with the ack,
   * its latency measured from the send to the ack's arrival.
   */
  push(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Obj,
    opts: { retryAttempt?: number; retryReason?: string; timeoutMs?: number; /** Which open connection (in connect order); default the first. With several replicas connected, Slack picks one per envelope, and a retry may land on another. */ connection?: number } = {},
  ): Promise<AckRecord> {
    const ws = [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN)[opts.connection ?? 0];
    if (!ws) return Promise.reject(new Error(`no Socket Mode connection ${opts.connection ?? 0} to push to (${this.socketCount} open)`));
    const envelopeId = randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...(type === 'events_api' ? { retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryReason ?? '' } : {}),
    };
    return new Promise<AckRecord>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope within ${opts.timeoutMs ?? 5000} ms`));
      }, opts.timeoutMs ?? 5000);
      const context = type === 'slash_commands' ? { user: String(payload.user_id), channel: String(payload.channel_id) } : undefined;
      this.pendingAcks.set(envelopeId, {
        sentAt: process.hrtime.bigint(),
        type,
        ...(context ? { context } : {}),
        resolve: (r) => (clearTimeout(t), resolve(r)),
      });
      ws.send(JSON.stringify(envelope));
    });
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      const at = process.hrtime.bigint();
      let msg: Obj;
      try {
        msg = JSON.parse(String(data)) as Obj;
      } catch {
        return;
      }
      const id = typeof msg.envelope_id === 'string' ? msg.envelope_id : undefined;
      const pending = id ? this.pendingAcks.get(id) : undefined;
      if (!id || !pending) return;
      this.pendingAcks.delete(id);
      const rec: AckRecord = { envelopeId: id, type: pending.type, latencyMs: Number(at - pending.sentAt) / 1e6, payload: msg.payload };
      this.acks.push(rec);
      if (pending.context && msg.payload && typeof msg.payload === 'object') this.storeAckMessage(pending.context.user, pending.context.channel, msg.payload as Obj);
      pending.resolve(rec);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'standin', approximate_connection_time: 18060 }, connection_info: { app_id: 'A0WSDOCTOR' } }));
    for (const w of this.connectWaiters.splice(0)) w();
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: Obj, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return send(405, { ok: false, error: 'method_not_allowed' });
    const upload = /^\/upload\/(F[A-Z0-9]+)$/.exec(url.pathname);
    if (upload) return this.handleUpload(upload[1] ?? '', Buffer.concat(chunks), send);
    if (url.pathname.startsWith('/api/')) return this.handleApi(url.pathname.slice(5), req, raw, send);
    const m = /^\/response\/[^/]+\/([a-f0-9]+)$/.exec(url.pathname);
    if (m) return this.handleResponseUrl(m[1] ?? '', req, raw, send);
    return send(404, { ok: false, error: 'not_found' });
  }

  private parseBody(req: http.IncomingMessage, raw: string): Obj | undefined {
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('application/json')) {
      try {
        const v = JSON.parse(raw || '{}') as unknown;
        return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
      } catch {
        return undefined;
      }
    }
    return { ...querystring.parse(raw) } as Obj;
  }

  private handleApi(method: string, req: http.IncomingMessage, raw: string, send: (s: number, b: Obj, h?: Record<string, string>) => void): void {
    const args = this.parseBody(req, raw) ?? {};
    const rec: RecordedCall = { method, args: { ...args }, at: Date.now(), status: 200, ok: false };
    delete rec.args.token;
    this.calls.push(rec);
    if (/^(chat\.|views\.)/.test(method)) this.scanMarkup(method, args);
    const reply = (status: number, body: Obj, headers?: Record<string, string>): void => {
      rec.status = status;
      rec.ok = body.ok === true;
      if (typeof body.error === 'string') rec.error = body.error;
      send(status, body, headers);
    };
    const refuse = (error: string, messages: string[] = [], extra: Obj = {}): void => {
      this.refusals.push({ where: method, error, messages });
      reply(200, { ok: false, error, ...(messages.length ? { response_metadata: { messages } } : {}), ...extra });
    };
    if (this.down) return reply(503, { ok: false, error: 'service_unavailable' });
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : '';
    if (!token) return refuse('not_authed');
    if (method === 'apps.connections.open') {
      if (token === this.botToken) return refuse('not_allowed_token_type');
      if (token !== this.appToken) return refuse('invalid_auth');
    } else {
      if (token === this.appToken) return refuse('not_allowed_token_type');
      if (token !== this.botToken) return refuse('invalid_auth');
    }
    const needed = METHOD_SCOPES[method];
    if (needed === undefined) return refuse('unknown_method');
    const missing = needed.filter((s) => !this.manifest.scopes.includes(s));
    if (missing.length) return refuse('missing_scope', [], { needed: missing.join(','), provided: this.manifest.scopes.join(',') });
    const fault = this.takeFault(method);
    if (fault?.kind === 'hang') return void (rec.status = 0);
    if (fault?.kind === '429') return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    if (fault?.kind === 'http') return reply(fault.status, { ok: false, error: `http_${fault.status}` });
    if (fault?.kind === 'error') return reply(200, { ok: false, error: fault.error });

    const str = (k: string): string | undefined => (typeof args[k] === 'string' && args[k] !== '' ? (args[k] as string) : undefined);
    const blocksOf = (): unknown[] => {
      const p = parseMaybeJson(args.blocks);
      return p.ok && Array.isArray(p.value) ? p.value : [];
    };
    switch (method) {
      case 'auth.test':
        return reply(200, { ok: true, url: 'https://standin.slack.test/', team: 'Stand-in', user: 'ws-doctor', team_id: STANDIN_TEAM, user_id: this.botUserId, bot_id: this.botId });
      case 'apps.connections.open': {
        if (!this.manifest.socketMode) return refuse('socket_mode_not_enabled');
        const ticket = randomBytes(12).toString('hex');
        this.tickets.add(ticket);
        return reply(200, { ok: true, url: `ws://127.0.0.1:${this.port}/socket?ticket=${ticket}` });
      }
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        const channel = this.channels.get(str('channel') ?? '');
        if (!channel || channel.gone) return refuse('channel_not_found');
        if (channel.archived) return refuse('is_archived');
        if (!channel.member || channel.kicked) return refuse('not_in_channel');
        const problem = validateMessage(args);
        if (problem) return refuse(problem.error, problem.messages);
        if (method === 'chat.postEphemeral') {
          const user = str('user');
          if (!user) return refuse('user_not_in_channel');
          const m = this.store({ channel: channel.id, text: String(args.text), blocks: blocksOf(), ephemeral: true, user, via: 'api' });
          return reply(200, { ok: true, message_ts: m.ts });
        }
        const threadTs = str('thread_ts');
        if (threadTs && !this.messages.some((m) => m.channel === channel.id && m.ts === threadTs && !m.ephemeral)) return refuse('thread_not_found');
        const m = this.store({ channel: channel.id, text: String(args.text), blocks: blocksOf(), ephemeral: false, via: 'api', ...(threadTs ? { threadTs } : {}) });
        return reply(200, { ok: true, channel: channel.id, ts: m.ts, message: { type: 'message', text: m.text, ts: m.ts, bot_id: this.botId, blocks: m.blocks } });
      }
      case 'chat.update': {
        const channel = this.channels.get(str('channel') ?? '');
        if (!channel || channel.gone) return refuse('channel_not_found');
        if (channel.archived) return refuse('is_archived');
        if (channel.kicked) return refuse('not_in_channel');
        const m = this.messages.find((x) => x.channel === channel.id && x.ts === str('ts') && !x.ephemeral && !x.deleted);
        if (!m) return refuse('message_not_found');
        const problem = validateMessage(args);
        if (problem) return refuse(problem.error, problem.messages);
        m.text = String(args.text);
        m.blocks = blocksOf();
        m.versions.push({ text: m.text, blocks: m.blocks });
        return reply(200, { ok: true, channel: channel.id, ts: m.ts, text: m.text });
      }
      case 'usergroups.users.list': {
        const group = str('usergroup');
        if (!group) return refuse('invalid_arguments', ['[ERROR] missing required field: usergroup']);
        const users = this.userGroups.get(group);
        if (!users) return refuse('no_such_subteam');
        return reply(200, { ok: true, users: [...users] });
      }
      case 'conversations.open': {
        // One person only here (the bot opens DMs, not group DMs); Slack answers the same channel every time.
        const users = (str('users') ?? '').split(',').filter(Boolean);
        if (users.length !== 1) return refuse(users.length ? 'not_supported' : 'invalid_arguments', users.length ? [] : ['[ERROR] missing required field: users']);
        const user = users[0] as string;
        if (!/^[UW][A-Z0-9]{2,}$/.test(user)) return refuse('user_not_found');
        let dm = [...this.channels.values()].find((c) => c.dmWith === user);
        if (!dm) {
          dm = { id: `D0${user.slice(1)}`, name: `dm-${user}`, member: true, dmWith: user };
          this.channels.set(dm.id, dm);
        }
        return reply(200, { ok: true, channel: { id: dm.id } });
      }
      case 'chat.delete': {
        const m = this.messages.find((x) => x.channel === str('channel') && x.ts === str('ts') && !x.ephemeral && !x.deleted);
        if (!m) return refuse('message_not_found');
        m.deleted = true;
        return reply(200, { ok: true, channel: m.channel, ts: m.ts });
      }
      case 'views.open': {
        const trig = this.triggers.get(str('trigger_id') ?? '');
        if (!trig) return refuse('invalid_trigger_id');
        if (trig.used) return refuse('exchanged_trigger_id');
        if (Date.now() > trig.expires) return refuse('expired_trigger_id');
        const problem = validateView(args.view, 'modal');
        if (problem) return refuse(problem.error, problem.messages);
        trig.used = true;
        const view = parseMaybeJson(args.view) as { ok: true; value: Obj };
        const id = `V0${randomBytes(5).toString('hex').toUpperCase()}`;
        this.modals.set(id, { user: trig.user, view: view.value, versions: [view.value], submissions: 0 });
        return reply(200, { ok: true, view: { id, ...view.value } });
      }
      case 'views.update': {
        const modal = this.modals.get(str('view_id') ?? '');
        if (!modal) return refuse('not_found');
        const problem = validateView(args.view, 'modal');
        if (problem) return refuse(problem.error, problem.messages);
        const view = (parseMaybeJson(args.view) as { ok: true; value: Obj }).value;
        modal.view = view;
        modal.versions.push(view);
        return reply(200, { ok: true, view: { id: str('view_id'), ...view } });
      }
      case 'views.publish': {
        const user = str('user_id');
        if (!user) return refuse('invalid_arguments', ['[ERROR] user_id is required']);
        const problem = validateView(args.view, 'home');
        if (problem) return refuse(problem.error, problem.messages);
        const view = (parseMaybeJson(args.view) as { ok: true; value: Obj }).value;
        const prev = this.homeViews.get(user);
        this.homeViews.set(user, { view, publishes: (prev?.publishes ?? 0) + 1 });
        return reply(200, { ok: true, view: { id: `V0HOME${user}`, ...view } });
      }
      case 'files.getUploadURLExternal': {
        // Slack: both required; length in bytes, a positive integer. Form-encoded args arrive as strings.
        const filename = str('filename');
        const length = Number(args.length);
        if (!filename) return refuse('invalid_arguments', ['[ERROR] missing required field: filename']);
        if (!Number.isInteger(length) || length <= 0) return refuse('invalid_arguments', ['[ERROR] length must be a positive integer']);
        const altText = str('alt_txt');
        if (altText && altText.length > 1000) return refuse('invalid_arguments', ['[ERROR] alt_txt must be at most 1000 characters']);
        const id = `F0${randomBytes(5).toString('hex').toUpperCase()}`;
        this.files.set(id, { id, filename, length, ...(altText ? { altText } : {}), completed: false });
        return reply(200, { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const parsed = parseMaybeJson(args.files);
        const list = parsed.ok && Array.isArray(parsed.value) ? (parsed.value as Array<{ id?: unknown; title?: unknown }>) : undefined;
        if (!list || !list.length || list.some((f) => typeof f?.id !== 'string')) return refuse('invalid_arguments', ['[ERROR] files must be a JSON array of {id, title}']);
        const threadTs = str('thread_ts');
        const channelId = str('channel_id') ?? str('channels');
        if (threadTs && !channelId) return refuse('invalid_arguments', ['[ERROR] thread_ts needs channel_id']);
        if (channelId) {
          const channel = this.channels.get(channelId);
          if (!channel) return refuse('channel_not_found');
          if (!channel.member) return refuse('not_in_channel');
          if (threadTs && !this.messages.some((m) => m.channel === channelId && m.ts === threadTs && !m.ephemeral)) return refuse('thread_not_found');
        }
        const files = list.map((f) => this.files.get(String(f.id)));
        if (files.some((f) => !f)) return refuse('file_not_found');
        // The bytes must have arrived, and in the announced length, before the upload can be completed (once).
        if (files.some((f) => !f!.data || f!.data.length !== f!.length)) return refuse('file_upload_incomplete');
        if (files.some((f) => f!.completed)) return refuse('file_already_completed');
        files.forEach((f, i) => {
          const title = list[i]?.title;
          Object.assign(f!, { completed: true, ...(typeof title === 'string' ? { title } : {}), ...(channelId ? { channel: channelId } : {}), ...(threadTs ? { threadTs } : {}) });
        });
        if (channelId) {
          const comment = str('initial_comment') ?? '';
          this.store({ channel: channelId, text: comment, blocks: [], ephemeral: false, via: 'api', ...(threadTs ? { threadTs } : {}), fileIds: files.map((f) => f!.id) });
        }
        return reply(200, { ok: true, files: files.map((f) => ({ id: f!.id, name: f!.filename, title: f!.title ?? f!.filename })) });
      }
      default:
        return refuse('unknown_method');
    }
  }

  /** The upload_url: raw bytes (or a multipart form with one file) for a file id handed out by getUploadURLExternal. */
  private handleUpload(id: string, body: Buffer, send: (s: number, b: Obj) => void): void {
    const f = this.files.get(id);
    if (!f || f.completed) {
      this.refusals.push({ where: 'upload', error: 'invalid_upload_url', messages: [] });
      return send(404, { ok: false, error: 'invalid_upload_url' });
    }
    if (body.length !== f.length) {
      this.refusals.push({ where: 'upload', error: 'length_mismatch', messages: [`declared ${f.length}, received ${body.length}`] });
      return send(400, { ok: false, error: 'length_mismatch' });
    }
    f.data = body;
    send(200, { ok: true });
  }

  private handleResponseUrl(id: string, req: http.IncomingMessage, raw: string, send: (s: number, b: Obj, h?: Record<string, string>) => void): void {
    const body = this.parseBody(req, raw);
    const rec: RecordedCall = { method: 'response_url', args: body ?? {}, at: Date.now(), status: 200, ok: false };
    this.responseUrlCalls.push(rec);
    if (body) this.scanMarkup('response_url', body);
    const reply = (status: number, b: Obj, headers?: Record<string, string>): void => {
      rec.status = status;
      rec.ok = b.ok === true;
      if (typeof b.error === 'string') rec.error = b.error;
      send(status, b, headers);
    };
    const refuse = (status: number, error: string, messages: string[] = []): void => {
      this.refusals.push({ where: 'response_url', error, messages });
      reply(status, { ok: false, error, ...(messages.length ? { response_metadata: { messages } } : {}) });
    };
    if (this.down) return reply(503, { ok: false, error: 'service_unavailable' });
    const state = this.responseUrls.get(id);
    if (!state) return refuse(404, 'invalid_url');
    if (!String(req.headers['content-type'] ?? '').includes('application/json') || !body) return refuse(400, 'invalid_payload');
    const fault = this.takeFault('response_url');
    if (fault?.kind === 'hang') return void (rec.status = 0);
    if (fault?.kind === '429') return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    if (fault?.kind === 'http') return reply(fault.status, { ok: false, error: `http_${fault.status}` });
    if (fault?.kind === 'error') return reply(200, { ok: false, error: fault.error });
    if (Date.now() - state.createdAt > 30 * 60 * 1000) return refuse(404, 'expired_url');
    if (state.uses >= 5) return refuse(404, 'used_url');
    state.uses++;
    if (body.delete_original === true || body.delete_original === 'true') {
      if (!state.original || state.original.deleted) return refuse(404, 'message_not_found');
      state.original.deleted = true;
      return reply(200, { ok: true });
    }
    const problem = validateMessage(body);
    if (problem) return refuse(400, problem.error, problem.messages);
    const blocks = Array.isArray(body.blocks) ? body.blocks : [];
    if (body.replace_original === true || body.replace_original === 'true') {
      const o = state.original;
      if (!o || o.deleted) return refuse(404, 'message_not_found');
      o.text = String(body.text);
      o.blocks = blocks;
      o.versions.push({ text: o.text, blocks });
      return reply(200, { ok: true });
    }
    const inChannel = body.response_type === 'in_channel';
    const m = this.store({
      channel: state.channel,
      text: String(body.text),
      blocks,
      ephemeral: !inChannel,
      ...(inChannel ? {} : { user: state.user }),
      via: 'response_url',
      ...(typeof body.thread_ts === 'string' ? { threadTs: body.thread_ts } : {}),
    });
    // A slash command's URL has no message until its first post; later replace_original posts target that one.
    state.original ??= m;
    return reply(200, { ok: true });
  }

  private readonly byUser = new Map<string, StoredMessage[]>();

  private store(m: Omit<StoredMessage, 'ts' | 'deleted' | 'versions'>): StoredMessage {
    const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
    const stored: StoredMessage = { ...m, ts, deleted: false, versions: [{ text: m.text, blocks: m.blocks }] };
    this.messages.push(stored);
    if (stored.ephemeral && stored.user) {
      const list = this.byUser.get(stored.user) ?? [];
      list.push(stored);
      this.byUser.set(stored.user, list);
    }
    return stored;
  }
}

function findButton(blocks: unknown[], which: { kind?: string; actionId?: string; value?: string; label?: string }): { button: Obj; blockId: string } {
  for (const b of blocks as Obj[]) {
    if (b.type !== 'actions') continue;
    for (const e of (b.elements as Obj[]) ?? []) {
      const id = String(e.action_id ?? '');
      const kind = /^wsd:(.+):\d+$/.exec(id)?.[1];
      const matches = which.actionId ? id === which.actionId : kind === which.kind;
      const label = (e.text as Obj | undefined)?.text;
      if (matches && (which.value === undefined || e.value === which.value) && (which.label === undefined || label === which.label)) {
        return { button: { type: 'button', action_id: id, text: e.text, value: e.value, ...(e.style ? { style: e.style } : {}) }, blockId: String(b.block_id ?? '') };
      }
    }
  }
  throw new Error(`no button ${which.actionId ?? which.kind}${which.label ? ` labelled "${which.label}"` : ''} in the message`);
}

/** Everything a person reads in a message: fallback text and every text in its blocks. */
export function visibleText(m: { text: string; blocks: unknown[] } | Obj): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Obj;
      if (typeof o.text === 'string') out.push(o.text);
      for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(x);
    }
  };
  walk((m as Obj).blocks);
  return `${String((m as Obj).text ?? '')}\n${out.join('\n')}`;
}

/** A Bolt/WebClient logger that says nothing (tests provoke refusals on purpose). */
export const silentSlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => 'error' as never,
  setName: () => undefined,
};

export async function startSlackStandIn(opts: StandInOptions = {}): Promise<SlackStandIn> {
  return new SlackStandIn(opts).start();
}

/** Poll until `fn` returns a truthy value (or throw after `timeoutMs` with `what`). */
/** Polls `fn` (sync, or async: its promise is awaited, never taken for a truthy answer) until it is truthy. */
export async function waitFor<T>(fn: () => T | undefined | null | false | PromiseLike<T | undefined | null | false>, what: string, timeoutMs = 20000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export type { Problem };
