/**
 * What the bot does with a command, a click or a Home tab visit — independent of the transport (HTTP or
 * Socket Mode) and of Bolt itself: handlers.ts adapts Bolt's listener arguments to these inputs.
 *
 * Every entry point acknowledges first (the `ack` it is given) and does the work after, tracked so `idle()` and
 * shutdown can wait for it. Every entry point is idempotent: a redelivery (same trigger_id / event_id) or a
 * double click (same message + action within the window) runs nothing twice.
 */
import { inlineCode } from '../chat/text';
import type { DoctorApi } from '../core/api';
import { dispatch, errorMessage, type Dispatch } from '../chat/dispatch';
import type { MessageModel } from '../chat/model';
import type { Logger } from '../telemetry/logger';
import { Deduper } from './dedupe';
import { HomeBoard } from './home';
import { ChannelMessage, ResponseUrlMessage, type LiveMessage } from './live-message';
import { scrub } from './logging';
import type { OutboundQueue } from './outbound-queue';
import { ResultStore } from './result-store';
import { parseActionId, refFromBlockId, renderMessage, renderModal } from './render';

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

/** The body a slash command may be acknowledged with (an immediate private answer). */
export type AckBody = { response_type: 'ephemeral' | 'in_channel'; text: string; blocks: unknown[] } | undefined;

/** Commands whose answer depends only on environment and arguments (see SlackBot.shared). */
const SHAREABLE = new Set(['status', 'check', 'logs', 'history']);

/** A quick command (help, history) that finishes within this budget answers in the ack itself. */
const INLINE_BUDGET_MS = 500;

export interface SlackBotOptions {
  doctor: DoctorApi;
  queue: OutboundQueue;
  logger: Logger;
  /** Slash command as typed, e.g. `/ws`. */
  prefix: string;
  /** Double-click window for buttons (ms). Default 3000. */
  clickWindowMs?: number;
  /** Redelivery window for trigger_id / event_id (ms). Default 10 min. */
  redeliveryWindowMs?: number;
}

/**
 * Schedules the work that follows an ack (starting runs, rendering, sending) so it never holds up acks:
 *
 * - **Ack first.** While requests keep arriving (the last one less than `quietMs` ago), follow-up work waits,
 *   for at most `maxHoldMs`: fifty `/ws status` typed at once are all acked before any of them is worked on —
 *   and then share one run.
 * - **One at a time.** Turns are handed out one event-loop iteration apart, so between two of them Node polls
 *   for I/O and acks whatever has arrived meanwhile.
 */
export class Turns {
  private readonly waiting: Array<() => void> = [];
  private scheduled = false;
  private lastInbound = 0;
  private holdingSince = 0;

  constructor(
    private readonly quietMs = 10,
    private readonly maxHoldMs = 250,
  ) {}

  /** A request arrived (called before its ack). */
  inbound(): void {
    this.lastInbound = Date.now();
  }

  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled || !this.waiting.length) return;
    this.scheduled = true;
    const now = Date.now();
    const quietIn = this.lastInbound + this.quietMs - now;
    if (quietIn > 0) {
      this.holdingSince ||= now;
      const held = now - this.holdingSince;
      if (held < this.maxHoldMs) {
        setTimeout(() => {
          this.scheduled = false;
          this.kick();
        }, Math.min(quietIn, this.maxHoldMs - held));
        return;
      }
    }
    this.holdingSince = 0;
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      this.kick();
    });
  }
}

export class SlackBot {
  readonly home: HomeBoard;
  readonly results = new ResultStore();
  readonly dedupe: Deduper;
  private readonly work = new Set<Promise<unknown>>();
  private readonly turns = new Turns();
  /** Identical commands in flight share one answer (the Doctor shares the run; this shares building the message). */
  private readonly inFlight = new Map<string, Promise<{ model: MessageModel; ref: string }>>();
  private readonly clickWindowMs: number;
  private readonly doctor: DoctorApi;
  private readonly queue: OutboundQueue;
  private readonly log: Logger;
  private readonly prefix: string;

  constructor(opts: SlackBotOptions) {
    this.doctor = opts.doctor;
    this.queue = opts.queue;
    this.log = opts.logger;
    this.prefix = opts.prefix;
    this.clickWindowMs = opts.clickWindowMs ?? 3000;
    this.dedupe = new Deduper(opts.redeliveryWindowMs ?? 10 * 60 * 1000);
    this.home = new HomeBoard(this.doctor, this.queue, this.prefix, {
      onError: (err) => this.log.warn(`App Home publish failed: ${errText(err)}`),
    });
  }

  /** Resolves when every started piece of work has finished (or after `timeoutMs`; returns whether it did). */
  async idle(timeoutMs = 30000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.work.size) {
      const left = until - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.work]), new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  close(): void {
    this.home.close();
  }

  // ── /ws ─────────────────────────────────────────────────────────────────────────────────────────────────────

  async onCommand(cmd: CommandInput, ack: (body?: AckBody) => Promise<void>, retryNum?: number): Promise<void> {
    this.turns.inbound();
    const key = `cmd:${cmd.trigger_id || cmd.response_url}`;
    if (!this.dedupe.first(key)) {
      await ack();
      this.log.info(`ignored a redelivered ${this.prefix} command (retry ${retryNum ?? '?'})`);
      return;
    }
    let plan: Dispatch;
    try {
      plan = dispatch(cmd.text ?? '', {
        doctor: this.doctor,
        surface: 'slack',
        user: { id: cmd.user_id, ...(cmd.user_name ? { name: cmd.user_name } : {}) },
        prefix: this.prefix,
      });
    } catch (err) {
      plan = { kind: 'immediate', share: false, message: errorMessage(`Could not read that command: ${errText(err)}`, this.prefix) };
    }
    if (plan.kind === 'immediate') {
      // Quick answers (help, a typo) ride on the ack itself: no extra call, no response_url use.
      const r = renderMessage(plan.message);
      await ack({ response_type: 'ephemeral', text: r.text, blocks: r.blocks });
      return;
    }
    this.log.info(`${this.prefix} ${plan.command} --env ${plan.env} by ${cmd.user_id}${plan.share ? ' (shared)' : ''}`);
    if (!plan.slow) {
      const running = plan.run();
      let timer: NodeJS.Timeout | undefined;
      const quick = await Promise.race([running, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), INLINE_BUDGET_MS)))]);
      clearTimeout(timer);
      if (quick) {
        const r = renderMessage(quick, plan.share ? { omitKinds: ['share'], note: `Requested by <@${cmd.user_id}>` } : {});
        await ack({ response_type: plan.share ? 'in_channel' : 'ephemeral', text: r.text, blocks: r.blocks });
        return;
      }
      await ack();
      const target = new ResponseUrlMessage(this.queue, cmd.response_url, plan.share ? 'channel' : 'ephemeral');
      this.track(running.then((m) => target.show(m)));
      return;
    }
    await ack();
    const target: LiveMessage = plan.share
      ? new ChannelMessage(this.queue, cmd.channel_id, { fallbackResponseUrl: cmd.response_url })
      : new ResponseUrlMessage(this.queue, cmd.response_url, 'ephemeral');
    const note = plan.share ? `Requested by <@${cmd.user_id}>` : undefined;
    this.track(this.runPlan(plan, target, cmd.text ?? '', note));
  }

  // ── buttons ─────────────────────────────────────────────────────────────────────────────────────────────────

  async onAction(a: ActionInput, ack: () => Promise<void>): Promise<void> {
    this.turns.inbound();
    await ack();
    const parsed = parseActionId(a.actionId);
    if (!parsed) return;
    if (!this.dedupe.first(`trg:${a.triggerId}`)) {
      this.log.info('ignored a redelivered button click');
      return;
    }
    const where = a.container.type === 'view' ? `view:${a.container.viewId}` : `msg:${a.container.channelId}:${a.container.messageTs}`;
    const clickKey = `act:${where}:${parsed.kind}:${a.value ?? ''}`;
    // Sharing happens once per message; a re-run holds its key until it finishes (plus the click window).
    const window = parsed.kind === 'share' ? 10 * 60 * 1000 : parsed.kind === 'rerun' ? 60 * 60 * 1000 : this.clickWindowMs;
    if (!this.dedupe.first(clickKey, window)) {
      this.log.info(`ignored a repeated ${parsed.kind} click`);
      return;
    }
    const job = this.handleAction(parsed.kind, a).finally(() => {
      if (parsed.kind === 'rerun') setTimeout(() => this.dedupe.forget(clickKey), this.clickWindowMs).unref?.();
    });
    this.track(job);
  }

  private async handleAction(kind: string, a: ActionInput): Promise<void> {
    switch (kind) {
      case 'rerun':
        return this.rerun(a);
      case 'details':
        return this.details(a);
      case 'share':
        return this.share(a);
      default:
        if (a.responseUrl) {
          await new ResponseUrlMessage(this.queue, a.responseUrl, 'ephemeral').show({
            text: `That button is not available in this version of ws-doctor.`,
            blocks: [{ type: 'text', text: `:information_source: ${inlineCode(kind)} is not available in this version of ws-doctor.` }],
          });
        }
    }
  }

  /** `env` or `env|check` (the value status-message.ts puts on its buttons) → command text. */
  private commandFor(value: string | undefined): string {
    const [env, check] = (value ?? '').split('|');
    const e = env ? ` --env ${env}` : '';
    return check ? `check ${check}${e}` : `status${e}`;
  }

  private plan(text: string, userId: string): Dispatch {
    return dispatch(text, { doctor: this.doctor, surface: 'slack', user: { id: userId }, prefix: this.prefix });
  }

  private async rerun(a: ActionInput): Promise<void> {
    const text = this.commandFor(a.value);
    const plan = this.plan(text, a.userId);
    if (a.container.type === 'view') {
      // From App Home: run, and the board shows the result.
      if (plan.kind === 'immediate') return;
      this.home.setRunning(plan.env, true);
      try {
        const result = await plan.run();
        this.results.put({ model: result, command: text, env: plan.env });
      } finally {
        this.home.setRunning(plan.env, false);
      }
      return;
    }
    const c = a.container;
    let target: LiveMessage;
    let note: string | undefined;
    if (c.isEphemeral) {
      if (!a.responseUrl) return;
      target = new ResponseUrlMessage(this.queue, a.responseUrl, 'ephemeral', true);
    } else {
      target = new ChannelMessage(this.queue, c.channelId, { existingTs: c.messageTs, ...(a.responseUrl ? { fallbackResponseUrl: a.responseUrl } : {}) });
      note = `Re-run by <@${a.userId}>`;
    }
    if (plan.kind === 'immediate') {
      await target.show(plan.message);
      return;
    }
    await this.runPlan(plan, target, text, note);
  }

  private async details(a: ActionInput): Promise<void> {
    const stored = this.results.get(refFromBlockId(a.blockId));
    const text = stored?.command ?? this.commandFor(a.value);
    const detailsOf = (m: MessageModel): MessageModel => m.details ?? { ...m, blocks: m.blocks.filter((b) => b.type !== 'actions') };
    if (a.container.type === 'message' && !a.container.isEphemeral) {
      // A shared message: the evidence goes into its thread, for everyone who sees the message. Where the bot
      // may not post (not a member), it falls back to a modal for the person who clicked.
      const thread = new ChannelMessage(this.queue, a.container.channelId, { threadTs: a.container.messageTs });
      const model = stored ? stored.model : await this.runText(text, a.userId);
      try {
        await thread.show(detailsOf(model));
        return;
      } catch (err) {
        const code = (err as { error?: string }).error;
        if (code !== 'not_in_channel' && code !== 'channel_not_found' && code !== 'thread_not_found') throw err;
      }
      await this.queue.enqueue({
        lane: `view:${a.userId}`,
        call: { type: 'api', method: 'views.open', args: { trigger_id: a.triggerId, view: renderModal(detailsOf(model), { title: 'Details' }) } },
      });
      return;
    }
    // A private message: a modal, only for the person who clicked. The trigger_id expires in 3 s, so when the
    // result has to be recomputed the modal opens at once with a placeholder and is updated after.
    const lane = `view:${a.userId}`;
    if (stored) {
      await this.queue.enqueue({
        lane,
        call: { type: 'api', method: 'views.open', args: { trigger_id: a.triggerId, view: renderModal(detailsOf(stored.model), { title: 'Details' }) } },
      });
      return;
    }
    const loading: MessageModel = { text: 'Collecting evidence…', blocks: [{ type: 'context', text: ':hourglass_flowing_sand: Collecting evidence…' }] };
    const opened = await this.queue.enqueue({
      lane,
      call: { type: 'api', method: 'views.open', args: { trigger_id: a.triggerId, view: renderModal(loading, { title: 'Details' }) } },
    });
    const viewId = (opened.view as { id?: string } | undefined)?.id;
    const model = await this.runText(text, a.userId);
    if (!viewId) return;
    await this.queue.enqueue({
      lane,
      mergeKey: `views.update:${viewId}`,
      call: { type: 'api', method: 'views.update', args: { view_id: viewId, view: renderModal(detailsOf(model), { title: 'Details' }) } },
    });
  }

  private async share(a: ActionInput): Promise<void> {
    if (a.container.type !== 'message') return;
    const stored = this.results.get(refFromBlockId(a.blockId));
    const text = stored?.command ?? this.commandFor(a.value);
    const model = stored ? stored.model : await this.runText(text, a.userId);
    const ref = stored ? refFromBlockId(a.blockId) : this.results.put({ model, command: text, env: (a.value ?? '').split('|')[0] ?? '' });
    const channel = new ChannelMessage(this.queue, a.container.channelId, a.responseUrl ? { fallbackResponseUrl: a.responseUrl } : {});
    await channel.show(model, { note: `Posted by <@${a.userId}>`, ...(ref ? { ref } : {}) });
    // The private copy has served its purpose; removing it also removes its buttons (no second share).
    if (a.container.isEphemeral && a.responseUrl) await new ResponseUrlMessage(this.queue, a.responseUrl).delete();
  }

  // ── App Home ────────────────────────────────────────────────────────────────────────────────────────────────

  async onHomeOpened(e: HomeOpenedInput, retryNum?: number): Promise<void> {
    if (e.eventId && !this.dedupe.first(`evt:${e.eventId}`)) {
      this.log.info(`ignored a redelivered app_home_opened (retry ${retryNum ?? '?'})`);
      return;
    }
    if (e.tab !== undefined && e.tab !== 'home') return;
    this.track(this.home.opened(e.user));
  }

  // ── shared ──────────────────────────────────────────────────────────────────────────────────────────────────

  private async runText(text: string, userId: string): Promise<MessageModel> {
    const plan = this.plan(text, userId);
    return plan.kind === 'immediate' ? plan.message : await plan.run();
  }

  /**
   * One run per identical command in flight, stored once: everyone who asked gets the same answer and the same
   * result reference (so it is rendered once). Answers of these commands depend on the environment and the
   * arguments, not on who asked; a command whose answer depends on the person must not be listed in SHAREABLE.
   */
  private shared(plan: Extract<Dispatch, { kind: 'run' }>, text: string): Promise<{ model: MessageModel; ref: string }> {
    const store = (model: MessageModel) => ({ model, ref: this.results.put({ model, command: text, env: plan.env }) });
    if (!SHAREABLE.has(plan.command)) return plan.run().then(store);
    const key = `${plan.command}\u0000${plan.env}\u0000${text.trim().replace(/\s+/g, ' ')}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const run = plan
      .run()
      .then(store)
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  private async runPlan(plan: Extract<Dispatch, { kind: 'run' }>, target: LiveMessage, text: string, note?: string): Promise<void> {
    const isStatus = plan.command === 'status';
    // Everything after the ack waits its turn: requests still arriving are acked first.
    await this.turns.next();
    if (isStatus) this.home.setRunning(plan.env, true);
    // Start the run before the placeholder is even sent: the answer is not held up by Slack.
    const running = this.shared(plan, text);
    try {
      if (plan.slow) {
        await this.turns.next();
        // Not awaited: the queue keeps placeholder and answer in order, and merges them if Slack is slow.
        void target.show(plan.placeholder, note ? { note } : {}).catch((err) => this.log.warn(`placeholder not shown: ${errText(err)}`));
      }
      const { model, ref } = await running;
      await this.turns.next();
      await target.show(model, { ref, ...(note ? { note } : {}) });
    } catch (err) {
      this.log.warn(`answer to ${this.prefix} ${plan.command} not delivered: ${errText(err)}`);
    } finally {
      if (isStatus) this.home.setRunning(plan.env, false);
      else if (plan.slow) this.home.refreshSoon();
    }
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err) => this.log.error(`Slack handler failed: ${errText(err)}`)).finally(() => this.work.delete(tracked));
    this.work.add(tracked);
  }
}

function errText(err: unknown): string {
  return scrub(err instanceof Error ? err.message : String(err));
}
