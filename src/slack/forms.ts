/**
 * Forms (chat/forms/) as Slack modals. A button whose update carries a form opens a modal on the click's
 * trigger_id (views.open; Slack gives 3 s and one use), with one input block per field and the form's state
 * sealed into `private_metadata` like a button value (a forged or edited view runs nothing). The submission
 * (view_submission) is validated before the ack: bad input is answered with `response_action: errors`, field by
 * field, and the modal stays open with what was typed; a valid one closes the modal and runs the form's submit,
 * whose outcome is told to the submitter privately in the channel the button was in.
 */
import type { FormRequest } from '../chat/forms/types';
import { findForm } from '../chat/forms/registry';
import type { ActionSeal } from '../chat/actions/seal';
import type { DoctorApi } from '../core/api';
import type { Logger } from '../telemetry/logger';
import { redact } from '../telemetry/redact';
import type { OutboundQueue } from './outbound-queue';
import { clip, mrkdwnEscape } from './render';

export const FORM_CALLBACK_PREFIX = 'wsd-form:';
/** The seal binds the metadata to its form, as a button value is bound to its action. */
const sealId = (form: string): string => `form:${form}`;
const fieldActionId = (field: string): string => `wsd:field:${field}:0`;

export interface ViewSubmissionInput {
  callbackId: string;
  privateMetadata?: string;
  userId: string;
  userName?: string;
  /** `view.state.values`: block_id → action_id → element state. */
  values: Record<string, Record<string, { value?: string | null }>>;
}

/** What the modal is acked with: nothing (close it) or errors per input block. */
export type ViewAck = { response_action: 'errors'; errors: Record<string, string> } | undefined;

export class SlackForms {
  constructor(
    private readonly queue: OutboundQueue,
    private readonly seal: ActionSeal,
    private readonly doctor: DoctorApi,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /** The modal of `req` for views.open; `about` is a line of context (untrusted text, escaped). */
  view(req: FormRequest, opts: { channel?: string; about?: string } = {}): Record<string, unknown> {
    const spec = findForm(req.id);
    if (!spec) throw new Error(`no form ${req.id}`);
    const metadata = this.seal.seal(sealId(spec.id), { s: req.state, ...(opts.channel ? { c: opts.channel } : {}) });
    const blocks: unknown[] = [];
    if (opts.about) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwnEscape(redact(opts.about)), 3000) } });
    for (const f of spec.fields) {
      blocks.push({
        type: 'input',
        block_id: f.id,
        label: { type: 'plain_text', text: f.label },
        optional: Boolean(f.optional),
        ...(f.hint ? { hint: { type: 'plain_text', text: f.hint } } : {}),
        element: {
          type: 'plain_text_input',
          action_id: fieldActionId(f.id),
          max_length: f.maxLength,
          ...(f.multiline ? { multiline: true } : {}),
          ...(f.placeholder ? { placeholder: { type: 'plain_text', text: f.placeholder } } : {}),
        },
      });
    }
    return {
      type: 'modal',
      callback_id: `${FORM_CALLBACK_PREFIX}${spec.id}`,
      private_metadata: metadata,
      title: { type: 'plain_text', text: spec.title },
      submit: { type: 'plain_text', text: spec.submitLabel },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks,
    };
  }

  /** Open the form on the click's trigger; resolves false when Slack refused (expired trigger …). */
  async open(req: FormRequest, triggerId: string, userId: string, opts: { channel?: string; about?: string } = {}): Promise<boolean> {
    try {
      await this.queue.enqueue({ lane: `view:${userId}`, call: { type: 'api', method: 'views.open', args: { trigger_id: triggerId, view: this.view(req, opts) } } });
      return true;
    } catch (err) {
      this.log.warn(`form ${req.id} not opened for ${userId}: ${(err as { error?: string }).error ?? (err as Error).message}`);
      return false;
    }
  }

  /**
   * A view_submission: validated and acked here (within Slack's 3 s: validation is pure), the work returned as a
   * promise for the caller to track. Returns undefined work when nothing is to be done.
   */
  async submission(input: ViewSubmissionInput, ack: (body: ViewAck) => Promise<void>): Promise<Promise<void> | undefined> {
    const spec = findForm(input.callbackId.slice(FORM_CALLBACK_PREFIX.length));
    const firstField = spec?.fields[0]?.id;
    const refuse = async (why: string): Promise<undefined> => {
      this.log.warn(`refused a form submission (${redact(input.callbackId.slice(0, 80))}) by ${input.userId}: ${why}`);
      await ack(firstField ? { response_action: 'errors', errors: { [firstField]: 'This form was not made by this bot (or has been tampered with): nothing was done. Press the button again.' } } : undefined);
      return undefined;
    };
    if (!spec) return await refuse('no such form');
    const un = this.seal.unseal(sealId(spec.id), input.privateMetadata);
    if (!un.ok) return await refuse(un.reason);
    const meta = un.unsealed.value as { s?: unknown; c?: unknown } | null;
    const state = spec.state.safeParse(meta?.s);
    if (!state.success) return await refuse('its state does not fit the form');
    const channel = typeof meta?.c === 'string' ? meta.c : undefined;

    const values: Record<string, string> = {};
    for (const f of spec.fields) values[f.id] = String(input.values[f.id]?.[fieldActionId(f.id)]?.value ?? '');
    const checked = spec.validate(values);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return undefined;
    }
    await ack(undefined);
    const user = { id: input.userId, ...(input.userName ? { name: input.userName } : {}) };
    return (async () => {
      const r = await spec.submit({ doctor: this.doctor, user }, state.data, checked.value);
      this.log.info(`form ${spec.id} by ${input.userId}: ${r.ok ? 'done' : 'refused'} — ${redact(r.message)}`);
      if (!channel) return;
      const text = `${r.ok ? '🔕' : ':no_entry:'} ${r.message}`;
      await this.queue.enqueue({
        lane: channel,
        call: { type: 'api', method: 'chat.postEphemeral', args: { channel, user: input.userId, text: mrkdwnEscape(text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwnEscape(text) } }] } },
      });
    })();
  }
}
