/**
 * The action (button) registry contract shared by every adapter. Adding a button is one file exporting an
 * ActionSpec and one line in registry.ts (see README.md here). Adapters never route on action ids themselves:
 * they call `press()` (press.ts), which checks the value's seal, its schema and the policy before the handler
 * runs, and then carry the returned message update out in their own medium (Slack: in place, thread, modal,
 * channel post; console: printed).
 */
import type { z } from 'zod';
import type { DoctorApi } from '../../core/api';
import type { Principal } from '../../remediations/policy';
import type { FormRequest } from '../forms/types';
import type { MessageModel } from '../model';

/** Where the pressed button sits. */
export type Place = 'private' | 'channel' | 'home' | 'console';

/**
 * What the adapter does with the handler's message:
 * - `update`: replaces the message the button sits on (Re-run; later Approve/Deny, Acknowledge).
 * - `details`: shows long evidence next to it (Slack: the thread of a shared message, a modal for a private one).
 * - `post`: posts it to the channel for everyone; a private original is removed (it has served its purpose).
 * - `reply`: a private answer to the person who pressed, the message itself unchanged.
 */
export type Effect = 'update' | 'details' | 'post' | 'reply';

/** The answer a button sits on, when the adapter still holds it (found by the reference sealed into the value). */
export interface ShownResult {
  model: MessageModel;
  /** The command text that produced it (`status --env local`). */
  command: string;
  env: string;
}

/** Who pressed: a Slack user id (or `local:<name>`), with the user groups the adapter resolved for the policy. */
export type Presser = Principal;

export interface ActionContext {
  doctor: DoctorApi;
  surface: 'slack' | 'console';
  /** How commands are typed here (`/ws`), for hints in answers. */
  prefix: string;
  user: Presser;
  place: Place;
  /** Slack channel of the message the button sits on (policy's channel allow-list); undefined elsewhere. */
  channel?: string;
  shown?: ShownResult;
  /**
   * Run a command as if this person typed it, through the adapter (it shares runs in flight, stores the result
   * for later Details/Post presses, marks the App Home board busy). Never rejects: failures are error messages.
   */
  runCommand(text: string): Promise<MessageModel>;
  /** An interim state of this action's effect ("Re-running…"), shown at once and replaced by the final one. */
  progress(message: MessageModel): void;
}

export interface ActionUpdate {
  message: MessageModel;
  /** Who did it, shown above the buttons: `Re-run by` → "Re-run by @ana" (Slack), "Re-run by you" (console). */
  attribution?: string;
  /** The command that produced `message`, when it came from one (stored with it, so Details finds it). */
  command?: string;
  /**
   * Ask for a form (chat/forms/) instead: adapters that draw forms (Slack: a modal) open it and show nothing
   * else; the others show `message`, which says how to do the same by typing.
   */
  form?: FormRequest;
}

export interface ActionSpec<V = unknown> {
  /** Stable id, part of every button's action_id (`wsd:<id>:<n>`): never rename a shipped one. */
  id: string;
  /** One line for `actions` in the console and the README. */
  summary: string;
  effect: Effect;
  /** The button's value, checked on every press before anything runs. Keep it small (Slack caps values at 2000). */
  schema: z.ZodType<V>;
  /**
   * Who may press it: a refusal sentence, or undefined to allow. Default: anyone who can see the button.
   * Runs after the seal and schema checks, before the handler.
   */
  mayPress?(ctx: ActionContext, value: V): string | undefined | Promise<string | undefined>;
  /**
   * Repeated presses of this button on the same message within this window are ignored (double clicks,
   * impatient people). Default 3 s. `whileRunning` also ignores them until the handler has finished.
   */
  repeat?: { windowMs?: number; whileRunning?: boolean };
  /** Does the work; throw ActionRefusal for a refusal decided on the way (answered privately). */
  handle(ctx: ActionContext, value: V): Promise<ActionUpdate>;
}

/** A press refused for a reason worth telling the person (shown privately, nothing else happens). */
export class ActionRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionRefusal';
  }
}

/** Registry entries are specs of any value type; `press()` narrows through the schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionSpec = ActionSpec<any>;
