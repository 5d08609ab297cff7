/**
 * Button values that cannot be forged. Slack hands a button's `value` back verbatim on every click — and so can
 * anyone who crafts a payload (over HTTP a valid signature only proves the request came through Slack, not that
 * this bot made the button; a workspace member can send any value). So each value the bot puts on a button is
 * sealed: `1~<payload>~<mac>`, the payload base64url JSON `{v: value, r?: result ref}`, the MAC an HMAC-SHA256
 * over the action id and the payload with a key only the bot holds (state/action-key.ts), truncated to 128 bits.
 * Binding the action id means a value lifted from a Details button cannot be replayed on another action.
 *
 * A sealed value is already redacted (the value is redacted before sealing) and is built so the redactor never
 * alters it (no 43-character runs, no dots): it leaves the renderer byte-for-byte and its MAC still holds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { redactDeep, redact } from '../../telemetry/redact';
import type { MessageBlock, MessageModel } from '../model';

/** Slack's own limit for a button value; anything longer is refused before it is even decoded. */
export const MAX_VALUE_CHARS = 2000;
const VERSION = '1';
const MAC_BYTES = 16;

export interface Unsealed {
  value: unknown;
  ref?: string;
}

export type UnsealResult = { ok: true; unsealed: Unsealed } | { ok: false; reason: string };

export class ActionSeal {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the action key must be at least 32 bytes');
  }

  seal(actionId: string, value: unknown, ref?: string): string {
    let json = JSON.stringify({ v: redactDeep(value ?? null), ...(ref ? { r: ref } : {}) });
    let payload = Buffer.from(json).toString('base64url');
    // The redactor masks bare 43-character URL-safe runs (connection tokens): never produce one.
    if (payload.length === 43) {
      json += ' ';
      payload = Buffer.from(json).toString('base64url');
    }
    const sealed = `${VERSION}~${payload}~${this.mac(actionId, payload)}`;
    if (redact(sealed) !== sealed) throw new Error(`sealed value for ${actionId} would be altered by redaction`);
    return sealed;
  }

  unseal(actionId: string, sealed: string | undefined): UnsealResult {
    if (sealed === undefined || sealed === '') return { ok: false, reason: 'the button carries no value' };
    if (sealed.length > MAX_VALUE_CHARS) return { ok: false, reason: `the value is ${sealed.length} characters (at most ${MAX_VALUE_CHARS})` };
    const parts = sealed.split('~');
    if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: 'the value is not sealed by this bot (unknown format)' };
    const [, payload = '', mac = ''] = parts;
    const expected = Buffer.from(this.mac(actionId, payload), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'the value does not carry this bot\'s signature (forged, tampered, or from another action)' };
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'the value is not readable' };
    }
    if (typeof body !== 'object' || body === null || !('v' in body)) return { ok: false, reason: 'the value is not readable' };
    const b = body as { v: unknown; r?: unknown };
    return { ok: true, unsealed: { value: b.v, ...(typeof b.r === 'string' ? { ref: b.r } : {}) } };
  }

  private mac(actionId: string, payload: string): string {
    return createHmac('sha256', this.key).update(`${actionId}\n${payload}`).digest().subarray(0, MAC_BYTES).toString('base64url');
  }
}

/** Sealed copies per model and ref: one answer shown to fifty people is sealed (and then rendered) once. */
const cache = new WeakMap<MessageModel, Map<string, MessageModel>>();

/** The model with every button value sealed (the ref of the stored answer inside), ready for any renderer. */
export function sealActions(model: MessageModel, seal: ActionSeal, ref?: string): MessageModel {
  if (!model.blocks.some((b) => b.type === 'actions')) return model;
  const key = ref ?? '';
  const hit = cache.get(model)?.get(key);
  if (hit) return hit;
  const blocks: MessageBlock[] = model.blocks.map((b) =>
    b.type === 'actions' ? { ...b, actions: b.actions.map((a) => ({ ...a, value: seal.seal(a.kind, a.value, ref) })) } : b,
  );
  const sealed: MessageModel = { ...model, blocks };
  let byRef = cache.get(model);
  if (!byRef) cache.set(model, (byRef = new Map()));
  if (byRef.size < 8) byRef.set(key, sealed);
  return sealed;
}
