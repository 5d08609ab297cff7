/**
 * The console's side of buttons: it presses the same actions Slack does (chat/actions/), through the same
 * `press()` with the same seal and schema checks, so every flow can be used and tested without Slack.
 * `actions` lists the buttons of the last answer, `press <n>` presses one.
 */
import { randomBytes } from 'node:crypto';
import { press } from '../chat/actions/press';
import { findAction } from '../chat/actions/registry';
import { ActionSeal, sealActions } from '../chat/actions/seal';
import type { ShownResult } from '../chat/actions/types';
import { dispatch } from '../chat/dispatch';
import type { MessageAction, MessageModel } from '../chat/model';
import type { DoctorApi } from '../core/api';

/** What the console prints for one step of a press. */
export interface ConsoleOutput {
  message(model: MessageModel, opts?: { note?: string }): void;
  progress(model: MessageModel): void;
}

export class ConsoleActions {
  /** Values never leave this process, but they take the same sealed path as in Slack. */
  private readonly seal = new ActionSeal(randomBytes(32));
  private readonly results = new Map<string, ShownResult>();
  private seq = 0;
  private last: MessageModel | undefined;

  constructor(
    private readonly doctor: DoctorApi,
    private readonly prefix: string,
    private readonly log: { warn(msg: string): void } = { warn: () => undefined },
    /** Who presses here: named on cards (acknowledged by, silenced by). */
    private readonly user: { id: string; name?: string } = { id: 'console' },
  ) {}

  /** Remember an answer (typed or produced by a press) as the one `actions`/`press` act on; returns it sealed. */
  shown(model: MessageModel, command?: string, env?: string): MessageModel {
    let ref: string | undefined;
    if (command) {
      ref = `c${++this.seq}`;
      this.results.set(ref, { model, command, env: env ?? this.doctor.defaultEnv });
      // Bounded like the Slack result store: the console keeps the recent answers only.
      if (this.results.size > 100) this.results.delete(this.results.keys().next().value as string);
    }
    this.last = sealActions(model, this.seal, ref);
    return this.last;
  }

  /** The buttons of the last answer, numbered from 1 (not Post to channel: a terminal has no channel). */
  buttons(): MessageAction[] {
    return (this.last?.blocks ?? []).flatMap((b) => (b.type === 'actions' ? b.actions : [])).filter((a) => findAction(a.kind)?.effect !== 'post');
  }

  /** `[1 Re-run] [2 Details] …` under an answer that has buttons, or undefined. */
  hint(): string | undefined {
    const list = this.buttons();
    if (!list.length) return undefined;
    return `  ${list.map((a, i) => `[${i + 1} ${a.label}]`).join(' ')}  — press <n>`;
  }

  list(): string {
    const list = this.buttons();
    if (!list.length) return 'The last answer has no buttons.';
    return list.map((a, i) => `  ${i + 1}. ${a.label} — ${findAction(a.kind)?.summary ?? a.kind}`).join('\n');
  }

  async press(arg: string | undefined, out: ConsoleOutput): Promise<void> {
    const list = this.buttons();
    const n = Number(arg);
    const button = Number.isInteger(n) ? list[n - 1] : undefined;
    if (!button) {
      out.message(text(list.length ? `usage: press <n> with n from 1 to ${list.length} (actions lists them)` : 'The last answer has no buttons to press.'));
      return;
    }
    const outcome = await press(
      { actionId: button.kind, ...(typeof button.value === 'string' ? { value: button.value } : {}) },
      (ref, spec) => {
        const shown = ref ? this.results.get(ref) : undefined;
        return {
          doctor: this.doctor,
          surface: 'console',
          prefix: this.prefix,
          user: this.user,
          place: 'console',
          ...(shown ? { shown } : {}),
          runCommand: (command) => this.run(command),
          progress: (m) => (spec.effect === 'update' || spec.effect === 'details' ? out.progress(m) : undefined),
        };
      },
      { seal: this.seal, log: this.log },
    );
    if (!outcome.ok) return out.message(outcome.refusal);
    const { spec, update } = outcome;
    const note = update.attribution ? `${update.attribution} you` : undefined;
    switch (spec.effect) {
      case 'update':
        return out.message(this.shown(update.message, update.command), note ? { note } : {});
      default:
        return out.message(update.message);
    }
  }

  private async run(command: string): Promise<MessageModel> {
    const plan = dispatch(command, { doctor: this.doctor, surface: 'console', prefix: this.prefix });
    return plan.kind === 'immediate' ? plan.message : plan.run();
  }
}

const text = (t: string): MessageModel => ({ text: t, blocks: [{ type: 'text', text: t }] });
