/**
 * Forms: a few typed fields a button asks for before anything runs (a custom silence: how long, why). The
 * contract is the adapter's to draw — Slack a modal (views.open on the click's trigger_id, view_submission back),
 * the console the typed command that does the same — while the fields, their validation and what a valid
 * submission does live here once. Adding a form = one file exporting a FormSpec + one line in registry.ts, and an
 * ActionSpec that returns `form: { id, state }` in its update.
 */
import type { z } from 'zod';
import type { DoctorApi } from '../../core/api';

export interface FormField {
  /** Stable id: the Slack block_id of the input, the key of `values` and of `errors`. */
  id: string;
  label: string;
  placeholder?: string;
  hint?: string;
  optional?: boolean;
  multiline?: boolean;
  /** Slack enforces it in the client; validate() enforces it again (a forged submission is not the client). */
  maxLength: number;
}

export type FormValidation<V> = { ok: true; value: V } | { ok: false; errors: Record<string, string> };

export interface FormContext {
  doctor: DoctorApi;
  user: { id: string; name?: string };
}

export interface FormSpec<S = unknown, V = unknown> {
  id: string;
  title: string;
  submitLabel: string;
  fields: readonly FormField[];
  /** What the button sealed into the form (which incident): checked on submission like a button's value. */
  state: z.ZodType<S>;
  /** Pure and quick (the adapter answers Slack within 3 s with its result): per-field sentences, or the value. */
  validate(values: Readonly<Record<string, string>>): FormValidation<V>;
  /** Does the work of a valid submission; the sentence is shown to the submitter. */
  submit(ctx: FormContext, state: S, value: V): Promise<{ ok: boolean; message: string }>;
}

/** Registry entries are specs of any type; the adapter narrows through `state` and `validate`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFormSpec = FormSpec<any, any>;

/** What an action hands its adapter to open: the form and its (to be sealed) state. */
export interface FormRequest {
  id: string;
  state: unknown;
  /** One line of context shown above the fields (untrusted text: the adapter escapes it). */
  about?: string;
}
