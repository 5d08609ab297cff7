/**
 * What the bot does with a command, a click or a Home tab visit — independent of the transport (HTTP or
 * Socket Mode) and of Bolt itself: handlers.ts adapts Bolt's listener arguments to these inputs.
 *
 * Every entry point acknowledges first (the `ack` it is given) and does the work after, tracked so `idle()` and
 * shutdown can wait for it. Every entry point is idempotent: a redelivery (same trigger_id / event_id) or a
 * double click (same message + action within the window) runs nothing twice.
 */
import type { DoctorApi } from '../core/api';
import { dispatch, errorMessage, type Dispatch } from '../chat/dispatch';
import type { MessageModel } from '../chat/model';
import { press } from '../chat/actions/press';
import { findAction } from '../chat/actions/registry';
import { ActionSeal, MAX_VALUE_CHARS, sealActions } from '../chat/actions/seal';
import type { Place } from '../chat/actions/types';
import type { Logger } from '../telemetry/logger';
import type { StateStore } from '../state/store';
import { Deduper } from './dedupe';
import { SlackForms, type ViewAck, type ViewSubmissionInput } from './forms';
import { HomeBoard } from './home';
import { ActionEffects } from './action-effects';
import { RemediationCards } from './remediation-cards';
import { UserGroupDirectory } from './user-groups';
import type { Principal } from '../remediations/policy';
import { ChannelMessage, ResponseUrlMessage, type LiveMessage } from './live-message';
import { scrub } from './logging';
import type { OutboundQueue } from './outbound-queue';
import { ResultStore } from './result-store';
import { parseActionId, renderMessage } from './render';

export type { ActionInput, CommandInput, HomeOpenedInput, MentionInput } from './inputs';
import type { ActionInput, CommandInput, HomeOpenedInput, MentionInput } from './inputs';

/** The body a slash command may be acknowledged with (an immediate private answer). */
export type AckBody = { response_type: 'ephemeral' | 'in_channel'; text: string; blocks: unknown[] } | undefined;

/** A quick command (help, history) that finishes within this budget answers in the ack itself. */
const INLINE_BUDGET_MS = 500;

export interface SlackBotOptions {
  doctor: DoctorApi;
  queue: OutboundQueue;
  logger: Logger;
  /** Slash command as typed, e.g. `/ws`. */
  prefix: string;
  /** Seals button values with the bot's key (state/action-key.ts) and verifies them on every press. */
  seal: ActionSeal;
  /** Double-click window for buttons (ms). Default 3000. */
  clickWindowMs?: number;
  /** Redelivery window for trigger_id / event_id (ms). Default 10 min. */
  redeliveryWindowMs?: number;
  /** The state store shared by the replicas: redeliveries are claimed there too (slack/dedupe.ts). */
  store?: StateStore;
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
  /** The stored-result ref of answers this process made or looked up (sealed into their buttons). */
  private readonly refs = new WeakMap<MessageModel, string>();
  private readonly seal: ActionSeal;
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
  /** Remediation cards kept up to date in their channel (when the Doctor has remediations). */
  readonly cards: RemediationCards | undefined;
  private readonly forms: SlackForms;
  /** Members of the Slack user groups the policy names (none named: no lookups at all). */
  readonly userGroups: UserGroupDirectory | undefined;

  constructor(opts: SlackBotOptions) {
    this.doctor = opts.doctor;
    this.queue = opts.queue;
    this.log = opts.logger;
    this.prefix = opts.prefix;
    this.clickWindowMs = opts.clickWindowMs ?? 3000;
    this.seal = opts.seal;
    this.dedupe = new Deduper(opts.redeliveryWindowMs ?? 10 * 60 * 1000, undefined, opts.store, (m) => this.log.warn(m));
    this.forms = new SlackForms(this.queue, this.seal, this.doctor, this.log);
    const engine = this.doctor.remediations;
    this.cards = engine ? new RemediationCards(engine, this.queue, (m) => this.sealed(m), this.prefix, this.log) : undefined;
    this.userGroups = engine?.policy.userGroups().length ? new UserGroupDirectory(this.queue, { ttlMs: engine.policy.cfg.userGroupCacheSeconds * 1000 }) : undefined;
    this.home = new HomeBoard(this.doctor, this.queue, this.prefix, {
      seal: (m) => this.sealed(m),
      onError: (err) => this.log.warn(`App Home publish failed: ${errText(err)}`),
    });
  }

  /** Resolves when every started piece of work has finished (or after `timeoutMs`; returns whether it did). */
  async idle(timeoutMs = 30000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    await this.cards?.idle();
    while (this.work.size) {
      const left = until - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.work]), new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
    // Work that just ended (an approval's remediation run) may have started card updates: those too.
    await this.cards?.idle();
    return true;
  }

  close(): void {
    this.cards?.close();
    this.home.close();
  }

  // ── /ws ─────────────────────────────────────────────────────────────────────────────────────────────────────

  onCommand(cmd: CommandInput, ack: (body?: AckBody) => Promise<void>, retryNum?: number): Promise<void> {
    return this.entered(this.command(cmd, ack, retryNum));
  }

  private async command(cmd: CommandInput, ack: (body?: AckBody) => Promise<void>, retryNum?: number): Promise<void> {
    this.turns.inbound();
    const key = `cmd:${cmd.trigger_id || cmd.response_url}`;
    // In memory only: Slack does not retry slash commands, and the ack must not wait on the state store.
    if (!this.dedupe.first(key)) {
      await ack();
      this.log.info(`ignored a redelivered ${this.prefix} command (retry ${retryNum ?? '?'})`);
      return;
    }
    // Before the ack, so the policy can gate the command: cached groups answer at once, a lookup gets 1.5 s.
    // No user groups in the policy: no await at all (the ack path stays exactly as quick as before).
    const plain: Principal = { id: cmd.user_id, ...(cmd.user_name ? { name: cmd.user_name } : {}) };
    const user = this.userGroups ? await this.principal(cmd.user_id, cmd.user_name, 1500) : plain;
    let plan: Dispatch;
    try {
      plan = dispatch(cmd.text ?? '', {
        doctor: this.doctor,
        surface: 'slack',
        user,
        ...(cmd.channel_id ? { channel: cmd.channel_id } : {}),
        prefix: this.prefix,
      });
    } catch (err) {
      plan = { kind: 'immediate', share: false, message: errorMessage(`Could not read that command: ${errText(err)}`, this.prefix) };
    }
    if (plan.kind === 'immediate') {
      // Quick answers (help, a typo) ride on the ack itself: no extra call, no response_url use.
      const r = renderMessage(this.sealed(plan.message));
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
        const r = renderMessage(this.sealed(quick), plan.share ? { omitKinds: ['share'], note: `Requested by <@${cmd.user_id}>` } : {});
        await ack({ response_type: plan.share ? 'in_channel' : 'ephemeral', text: r.text, blocks: r.blocks });
        return;
      }
      await ack();
      const target = new ResponseUrlMessage(this.queue, cmd.response_url, plan.share ? 'channel' : 'ephemeral');
      this.track(running.then((m) => target.show(this.sealed(m))));
      return;
    }
    await ack();
    const target: LiveMessage = plan.share
      ? new ChannelMessage(this.queue, cmd.channel_id, { fallbackResponseUrl: cmd.response_url })
      : new ResponseUrlMessage(this.queue, cmd.response_url, 'ephemeral');
    const note = plan.share ? `Requested by <@${cmd.user_id}>` : undefined;
    this.track(this.runPlan(plan, target, cmd.text ?? '', note));
  }

  // ── @ws-doctor … ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * `@ws-doctor status` does what `/ws status` does, answered in the thread of the mention (a mention is written
   * in public, so the answer is too, without filling the channel): "Running…" first, then the answer in place.
   */
  onMention(e: MentionInput, retryNum?: number): Promise<void> {
    return this.entered(this.mention(e, retryNum));
  }

  private async mention(e: MentionInput, retryNum?: number): Promise<void> {
    this.turns.inbound();
    if (e.eventId && !(await this.dedupe.claim(`evt:${e.eventId}`))) {
      this.log.info(`ignored a redelivered app_mention (retry ${retryNum ?? '?'})`);
      return;
    }
    if (e.botId || !(await this.dedupe.claim(`mention:${e.channel}:${e.ts}`))) return;
    const text = commandOfMention(e.text);
    const target = new ChannelMessage(this.queue, e.channel, { threadTs: e.threadTs ?? e.ts });
    let plan: Dispatch;
    try {
      plan = dispatch(text, { doctor: this.doctor, surface: 'slack', user: this.userGroups ? await this.principal(e.user, undefined, 3000) : { id: e.user }, prefix: this.prefix });
    } catch (err) {
      plan = { kind: 'immediate', share: false, message: errorMessage(`Could not read that command: ${errText(err)}`, this.prefix) };
    }
    if (plan.kind === 'immediate') {
      this.track(target.show(plan.message));
      return;
    }
    this.log.info(`@mention ${plan.command} --env ${plan.env} by ${e.user}`);
    this.track(this.runPlan(plan, target, text, `Requested by <@${e.user}>`));
  }

  // ── buttons ─────────────────────────────────────────────────────────────────────────────────────────────────

  onAction(a: ActionInput, ack: () => Promise<void>): Promise<void> {
    return this.entered(this.action(a, ack));
  }

  private async action(a: ActionInput, ack: () => Promise<void>): Promise<void> {
    this.turns.inbound();
    await ack();
    const parsed = parseActionId(a.actionId);
    if (!parsed) return;
    if (!(await this.dedupe.claim(`trg:${a.triggerId}`))) {
      this.log.info('ignored a redelivered button click');
      return;
    }
    const where = a.container.type === 'view' ? `view:${a.container.viewId}` : `msg:${a.container.channelId}:${a.container.messageTs}`;
    // Per person: one person's double click is dropped, but a refused press (someone approving their own
    // request) must not hold back the next person's.
    const clickKey = `act:${where}:${a.userId}:${parsed.kind}:${(a.value ?? '').slice(0, MAX_VALUE_CHARS)}`;
    const repeat = findAction(parsed.kind)?.repeat;
    if (!this.dedupe.first(clickKey, repeat?.whileRunning ? 60 * 60 * 1000 : (repeat?.windowMs ?? this.clickWindowMs))) {
      this.log.info(`ignored a repeated ${parsed.kind} click`);
      return;
    }
    const job = this.press(parsed.kind, a).finally(() => {
      if (repeat?.whileRunning) setTimeout(() => this.dedupe.forget(clickKey), this.clickWindowMs).unref?.();
    });
    this.track(job);
  }

  /** A modal of a form submitted: validated and acked (errors per field, or closed), the work tracked. */
  onViewSubmission(v: ViewSubmissionInput, ack: (body: ViewAck) => Promise<void>): Promise<void> {
    return this.entered(this.viewSubmission(v, ack));
  }

  private async viewSubmission(v: ViewSubmissionInput, ack: (body: ViewAck) => Promise<void>): Promise<void> {
    this.turns.inbound();
    const work = await this.forms.submission(v, ack);
    if (work) this.track(work);
  }

  /** Verify and run the press (chat/actions/press.ts), then carry the update out the way its effect says. */
  private async press(actionId: string, a: ActionInput): Promise<void> {
    const place: Place = a.container.type === 'view' ? 'home' : a.container.isEphemeral ? 'private' : 'channel';
    const effects = new ActionEffects(this.queue, a, place, (m) => this.sealed(m, this.refs.get(m)));
    // Acked already: the group lookup may take its time (the policy judges the press on it).
    const user = this.userGroups ? await this.principal(a.userId, a.userName, 3000) : { id: a.userId, ...(a.userName ? { name: a.userName } : {}) };
    const outcome = await press(
      { actionId, ...(a.value !== undefined ? { value: a.value } : {}) },
      (ref, spec) => {
        const shown = this.results.get(ref);
        if (shown && ref) this.refs.set(shown.model, ref);
        return {
          doctor: this.doctor,
          surface: 'slack',
          prefix: this.prefix,
          user,
          place,
          ...(a.container.type === 'message' ? { channel: a.container.channelId } : {}),
          ...(shown ? { shown } : {}),
          // As the presser, in the channel the button sits in (a requested fix posts its card there).
          runCommand: (text) => this.runForAction(text, user, a.container.type === 'message' ? a.container.channelId : undefined),
          progress: (m) => effects.progress(spec.effect, m),
        };
      },
      { seal: this.seal, log: this.log },
    );
    if (!outcome.ok) return effects.reply(outcome.refusal);
    const { update, spec } = outcome;
    // A form (custom silence) opens as a modal on this click's trigger; if Slack refuses (trigger expired), the
    // message says how to do the same by typing.
    if (update.form) {
      const channel = a.container.type === 'message' ? a.container.channelId : undefined;
      if (await this.forms.open(update.form, a.triggerId, a.userId, { ...(channel ? { channel } : {}), ...(update.form.about ? { about: update.form.about } : {}) })) return;
      return effects.reply(update.message);
    }
    const note = update.attribution && place === 'channel' ? `${update.attribution} <@${a.userId}>` : undefined;
    if (spec.effect === 'post') return effects.post(update.message, `${update.attribution ?? 'Posted by'} <@${a.userId}>`);
    return effects.final(spec.effect, update.message, note);
  }

  /** A command run on behalf of a press: shared in flight, stored (its buttons find it), the board kept busy. */
  private async runForAction(text: string, user: Principal, channel?: string): Promise<MessageModel> {
    const plan = this.plan(text, user, channel);
    if (plan.kind === 'immediate') return plan.message;
    const isStatus = plan.command === 'status';
    if (isStatus) this.home.setRunning(plan.env, true);
    try {
      const { model, ref } = await this.shared(plan, text);
      this.refs.set(model, ref);
      return model;
    } finally {
      if (isStatus) this.home.setRunning(plan.env, false);
    }
  }

  /** The model with its button values sealed (and the stored result's ref inside them). */
  private sealed(model: MessageModel, ref?: string): MessageModel {
    return sealActions(model, this.seal, ref);
  }

  // ── App Home ────────────────────────────────────────────────────────────────────────────────────────────────

  onHomeOpened(e: HomeOpenedInput, retryNum?: number): Promise<void> {
    return this.entered(this.homeOpened(e, retryNum));
  }

  private async homeOpened(e: HomeOpenedInput, retryNum?: number): Promise<void> {
    if (e.eventId && !(await this.dedupe.claim(`evt:${e.eventId}`))) {
      this.log.info(`ignored a redelivered app_home_opened (retry ${retryNum ?? '?'})`);
      return;
    }
    if (e.tab !== undefined && e.tab !== 'home') return;
    this.track(this.home.opened(e.user));
  }

  // ── shared ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** The person as the policy sees them: their id, name and the policy's user groups they are in. */
  private async principal(id: string, name: string | undefined, timeoutMs: number): Promise<Principal> {
    const base: Principal = { id, ...(name ? { name } : {}) };
    const policy = this.doctor.remediations?.policy;
    if (!this.userGroups || !policy) return base;
    return this.userGroups.principal(base, policy.userGroups(), timeoutMs);
  }

  private plan(text: string, user: Principal, channel?: string): Dispatch {
    return dispatch(text, {
      doctor: this.doctor,
      surface: 'slack',
      user,
      ...(channel ? { channel } : {}),
      prefix: this.prefix,
    });
  }

  /**
   * One run per identical command in flight, stored once: everyone who asked gets the same answer and the same
   * result reference (so it is rendered once). Answers of these commands depend on the environment and the
   * arguments, not on who asked (CommandSpec.shareable); anything else runs on its own.
   */
  private shared(plan: Extract<Dispatch, { kind: 'run' }>, text: string): Promise<{ model: MessageModel; ref: string }> {
    const store = (model: MessageModel) => ({ model, ref: this.results.put({ model, command: text, env: plan.env }) });
    if (!plan.shareable) return plan.run().then(store);
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
      await target.show(this.sealed(model, ref), { ref, ...(note ? { note } : {}) });
    } catch (err) {
      this.log.warn(`answer to ${this.prefix} ${plan.command} not delivered: ${errText(err)}`);
    } finally {
      if (isStatus) this.home.setRunning(plan.env, false);
      else if (plan.slow) this.home.refreshSoon();
    }
  }

  /**
   * An entry point is work from its first line, not only from where it hands a job to track(): before that it
   * awaits the state store (the redelivery claim) with the click already acked, and a stop arriving then found
   * nothing to wait for — the approval Slack had been told was received was never applied. Its failure still
   * goes to the caller (Bolt) as before.
   */
  private entered(p: Promise<void>): Promise<void> {
    const held: Promise<void> = p.then(
      () => undefined,
      () => undefined,
    ).finally(() => this.work.delete(held));
    this.work.add(held);
    return p;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err) => this.log.error(`Slack handler failed: ${errText(err)}`)).finally(() => this.work.delete(tracked));
    this.work.add(tracked);
  }
}

/**
 * The command in a mention's text: what follows the first mention (`<@U…>` or `<@U…|name>`), with Slack's
 * entity encoding undone so `--grep "a<b"` reads as typed. Nothing after the mention means `status`.
 */
export function commandOfMention(text: string): string {
  const after = /<@[A-Z0-9]+(?:\|[^>]*)?>/.exec(text);
  const rest = after ? text.slice(after.index + after[0].length) : text;
  return rest
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/^[\s:,]+/, '')
    .trim();
}

function errText(err: unknown): string {
  return scrub(err instanceof Error ? err.message : String(err));
}
