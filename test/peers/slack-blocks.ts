/**
 * Block Kit validation as Slack applies it (shared/slack-limits.md), used by the Slack stand-in on every
 * message, ephemeral response, ack body and view the bot sends. Errors carry Slack's error code
 * (`invalid_blocks`, `msg_too_long`, `no_text`, `invalid_arguments` for views) and messages in Slack's
 * `[ERROR] … [json-pointer:/blocks/3/text]` style.
 *
 * Stricter than Slack in one place, on purpose: a message with blocks but no `text` fallback is refused
 * (`no_text`); Slack only warns, but notifications and screen readers then show nothing useful.
 */

export interface Problem {
  error: string;
  messages: string[];
}

/** The action_id shape ws-doctor promises: `wsd:<kind>:<n>` (kind may contain `:`). */
export const ACTION_ID_SHAPE = /^wsd:[a-z][a-z0-9_-]*(?::[A-Za-z0-9_.-]+)*:\d+$/;

const L = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  actionsElements: 25,
  contextElements: 10,
  contextText: 3000,
  headerText: 150,
  buttonText: 75,
  accessibilityLabel: 75,
  actionId: 255,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  blockId: 255,
  messageText: 40000,
  privateMetadata: 3000,
  callbackId: 255,
  viewTitle: 24,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  inputText: 3000,
  /** view_submission `errors`: one message per input block_id. */
  errorMessage: 500,
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Slack counts characters; JS length counts UTF-16 units, which is never less. Count code points. */
const len = (s: string): number => [...s].length;

class Collector {
  readonly messages: string[] = [];
  err(path: string, msg: string): void {
    this.messages.push(`[ERROR] ${msg} [json-pointer:${path}]`);
  }
}

function onlyKeys(c: Collector, path: string, o: Obj, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) c.err(`${path}/${k}`, `unknown field "${k}"`);
}

function textObject(c: Collector, path: string, v: unknown, max: number, kind: 'any' | 'plain_text' = 'any'): void {
  if (!isObj(v)) return c.err(path, 'must be a text object');
  onlyKeys(c, path, v, ['type', 'text', 'emoji', 'verbatim']);
  if (v.type !== 'plain_text' && v.type !== 'mrkdwn') return c.err(`${path}/type`, 'must be plain_text or mrkdwn');
  if (kind === 'plain_text' && v.type !== 'plain_text') c.err(`${path}/type`, 'must be plain_text');
  if (v.type === 'mrkdwn' && 'emoji' in v) c.err(`${path}/emoji`, 'emoji is only valid for plain_text');
  if (typeof v.text !== 'string') return c.err(`${path}/text`, 'must be a string');
  if (len(v.text) < 1) c.err(`${path}/text`, 'must be more than 0 characters');
  if (len(v.text) > max) c.err(`${path}/text`, `must be less than ${max + 1} characters`);
}

function confirmObject(c: Collector, path: string, v: unknown): void {
  if (!isObj(v)) return c.err(path, 'must be a confirmation object');
  onlyKeys(c, path, v, ['title', 'text', 'confirm', 'deny', 'style']);
  textObject(c, `${path}/title`, v.title, L.confirmTitle, 'plain_text');
  textObject(c, `${path}/text`, v.text, L.confirmText);
  textObject(c, `${path}/confirm`, v.confirm, L.confirmButton, 'plain_text');
  textObject(c, `${path}/deny`, v.deny, L.confirmButton, 'plain_text');
  if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') c.err(`${path}/style`, 'must be primary or danger');
}

function element(c: Collector, path: string, v: unknown, actionIds: Set<string>): void {
  if (!isObj(v)) return c.err(path, 'must be an element object');
  if (v.type !== 'button') return c.err(`${path}/type`, `element type "${String(v.type)}" is not used by ws-doctor`);
  onlyKeys(c, path, v, ['type', 'text', 'action_id', 'value', 'url', 'style', 'confirm', 'accessibility_label']);
  textObject(c, `${path}/text`, v.text, L.buttonText, 'plain_text');
  if (typeof v.action_id !== 'string' || !v.action_id) c.err(`${path}/action_id`, 'required');
  else {
    if (len(v.action_id) > L.actionId) c.err(`${path}/action_id`, `must be less than ${L.actionId + 1} characters`);
    if (!ACTION_ID_SHAPE.test(v.action_id)) c.err(`${path}/action_id`, `unknown action_id shape "${v.action_id}" (expected wsd:<kind>:<n>)`);
    if (actionIds.has(v.action_id)) c.err(`${path}/action_id`, `duplicate action_id "${v.action_id}"`);
    actionIds.add(v.action_id);
  }
  if (v.value !== undefined && (typeof v.value !== 'string' || len(v.value) > L.buttonValue)) c.err(`${path}/value`, `must be a string of at most ${L.buttonValue} characters`);
  if (v.url !== undefined && (typeof v.url !== 'string' || len(v.url) > L.buttonUrl)) c.err(`${path}/url`, `must be a string of at most ${L.buttonUrl} characters`);
  if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') c.err(`${path}/style`, 'must be primary or danger');
  if (v.confirm !== undefined) confirmObject(c, `${path}/confirm`, v.confirm);
  // Slack: a plain string (not a text object), 1–75 characters.
  if (v.accessibility_label !== undefined && (typeof v.accessibility_label !== 'string' || len(v.accessibility_label) < 1 || len(v.accessibility_label) > L.accessibilityLabel)) {
    c.err(`${path}/accessibility_label`, `must be a string of 1 to ${L.accessibilityLabel} characters`);
  }
}

/** An input block (modals only) holding a plain_text_input — the only input ws-doctor uses. */
function inputBlock(c: Collector, path: string, b: Obj, actionIds: Set<string>): void {
  onlyKeys(c, path, b, ['type', 'block_id', 'label', 'element', 'hint', 'optional', 'dispatch_action']);
  if (typeof b.block_id !== 'string' || !b.block_id) c.err(`${path}/block_id`, 'an input needs a block_id (its value comes back under it)');
  textObject(c, `${path}/label`, b.label, L.inputLabel, 'plain_text');
  if (b.hint !== undefined) textObject(c, `${path}/hint`, b.hint, L.inputHint, 'plain_text');
  if (b.optional !== undefined && typeof b.optional !== 'boolean') c.err(`${path}/optional`, 'must be a boolean');
  const e = b.element;
  if (!isObj(e)) return c.err(`${path}/element`, 'required');
  if (e.type !== 'plain_text_input') return c.err(`${path}/element/type`, `element type "${String(e.type)}" is not used by ws-doctor`);
  onlyKeys(c, `${path}/element`, e, ['type', 'action_id', 'placeholder', 'initial_value', 'multiline', 'min_length', 'max_length', 'focus_on_load', 'dispatch_action_config']);
  if (typeof e.action_id !== 'string' || !e.action_id) c.err(`${path}/element/action_id`, 'required');
  else {
    if (len(e.action_id) > L.actionId) c.err(`${path}/element/action_id`, `must be less than ${L.actionId + 1} characters`);
    if (actionIds.has(e.action_id)) c.err(`${path}/element/action_id`, `duplicate action_id "${e.action_id}"`);
    actionIds.add(e.action_id);
  }
  if (e.placeholder !== undefined) textObject(c, `${path}/element/placeholder`, e.placeholder, L.placeholder, 'plain_text');
  for (const k of ['min_length', 'max_length'] as const) {
    const v = e[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= L.inputText)) c.err(`${path}/element/${k}`, `must be an integer from 0 to ${L.inputText}`);
  }
  if (e.initial_value !== undefined && (typeof e.initial_value !== 'string' || len(e.initial_value) > L.inputText)) c.err(`${path}/element/initial_value`, `must be a string of at most ${L.inputText} characters`);
}

function block(c: Collector, path: string, b: unknown, blockIds: Set<string>, actionIds: Set<string>, inputs = false): void {
  if (!isObj(b)) return c.err(path, 'must be a block object');
  if (b.block_id !== undefined) {
    if (typeof b.block_id !== 'string' || !b.block_id) c.err(`${path}/block_id`, 'must be a non-empty string');
    else {
      if (len(b.block_id) > L.blockId) c.err(`${path}/block_id`, `must be less than ${L.blockId + 1} characters`);
      if (blockIds.has(b.block_id)) c.err(`${path}/block_id`, `duplicate block_id "${b.block_id}"`);
      blockIds.add(b.block_id);
    }
  }
  switch (b.type) {
    case 'section': {
      onlyKeys(c, path, b, ['type', 'block_id', 'text', 'fields', 'accessory']);
      if (b.text === undefined && b.fields === undefined) c.err(path, 'must provide text or fields');
      if (b.text !== undefined) textObject(c, `${path}/text`, b.text, L.sectionText);
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length < 1) c.err(`${path}/fields`, 'must be a non-empty array');
        else {
          if (b.fields.length > L.fields) c.err(`${path}/fields`, `must be less than ${L.fields + 1} items`);
          b.fields.forEach((f, i) => textObject(c, `${path}/fields/${i}`, f, L.fieldText));
        }
      }
      if (b.accessory !== undefined) element(c, `${path}/accessory`, b.accessory, actionIds);
      return;
    }
    case 'header':
      onlyKeys(c, path, b, ['type', 'block_id', 'text']);
      return textObject(c, `${path}/text`, b.text, L.headerText, 'plain_text');
    case 'context': {
      onlyKeys(c, path, b, ['type', 'block_id', 'elements']);
      if (!Array.isArray(b.elements) || b.elements.length < 1) return c.err(`${path}/elements`, 'must be a non-empty array');
      if (b.elements.length > L.contextElements) c.err(`${path}/elements`, `must be less than ${L.contextElements + 1} items`);
      b.elements.forEach((e, i) => textObject(c, `${path}/elements/${i}`, e, L.contextText));
      return;
    }
    case 'actions': {
      onlyKeys(c, path, b, ['type', 'block_id', 'elements']);
      if (!Array.isArray(b.elements) || b.elements.length < 1) return c.err(`${path}/elements`, 'must be a non-empty array');
      if (b.elements.length > L.actionsElements) c.err(`${path}/elements`, `must be less than ${L.actionsElements + 1} items`);
      b.elements.forEach((e, i) => element(c, `${path}/elements/${i}`, e, actionIds));
      return;
    }
    case 'divider':
      return onlyKeys(c, path, b, ['type', 'block_id']);
    case 'input':
      if (!inputs) return c.err(`${path}/type`, 'input blocks are only valid in modals');
      return inputBlock(c, path, b, actionIds);
    default:
      return c.err(`${path}/type`, `unsupported block type "${String(b.type)}"`);
  }
}

function blocksProblems(c: Collector, blocks: unknown, max: number, path = '/blocks', inputs = false): void {
  if (!Array.isArray(blocks)) return c.err(path, 'must be an array');
  if (blocks.length > max) c.err(path, `must be less than ${max + 1} items`);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  blocks.forEach((b, i) => block(c, `${path}/${i}`, b, blockIds, actionIds, inputs));
}

/** Parse `blocks` that arrived form-encoded (a JSON string) or as JSON. */
export function parseMaybeJson(v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof v !== 'string') return { ok: true, value: v };
  try {
    return { ok: true, value: JSON.parse(v) };
  } catch {
    return { ok: false };
  }
}

/** A chat.postMessage / chat.update / response_url / ack body. */
export function validateMessage(args: Obj): Problem | undefined {
  const text = args.text;
  const parsed = parseMaybeJson(args.blocks);
  if (!parsed.ok) return { error: 'invalid_blocks_format', messages: ['[ERROR] blocks is not valid JSON [json-pointer:/blocks]'] };
  const blocks = parsed.value;
  if (text !== undefined && typeof text !== 'string') return { error: 'invalid_arguments', messages: ['[ERROR] text must be a string [json-pointer:/text]'] };
  if (typeof text === 'string' && len(text) > L.messageText) return { error: 'msg_too_long', messages: [`[ERROR] text is ${len(text)} characters [json-pointer:/text]`] };
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (!text || !String(text).trim()) {
    return { error: 'no_text', messages: [hasBlocks ? '[ERROR] a text fallback is required with blocks (stand-in rule) [json-pointer:/text]' : '[ERROR] no text or blocks'] };
  }
  if (blocks === undefined) return undefined;
  const c = new Collector();
  blocksProblems(c, blocks, L.messageBlocks);
  return c.messages.length ? { error: 'invalid_blocks', messages: c.messages } : undefined;
}

/**
 * A view_submission ack body: nothing (close), or `response_action: errors` whose keys must be block_ids of input
 * blocks in the submitted view (Slack refuses the whole ack otherwise and the person sees a generic error).
 */
export function validateViewAck(body: unknown, view: Obj): Problem | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (!isObj(body)) return { error: 'invalid_ack', messages: ['[ERROR] a view_submission ack is an object or empty'] };
  if (!Object.keys(body).length) return undefined;
  const c = new Collector();
  if (body.response_action === 'errors') {
    onlyKeys(c, '', body, ['response_action', 'errors']);
    const inputs = new Set(((view.blocks as unknown[]) ?? []).filter((b): b is Obj => isObj(b) && b.type === 'input').map((b) => String(b.block_id)));
    if (!isObj(body.errors) || !Object.keys(body.errors).length) c.err('/errors', 'must be a non-empty object');
    else
      for (const [k, m] of Object.entries(body.errors)) {
        if (!inputs.has(k)) c.err(`/errors/${k}`, `no input block with block_id "${k}" in the view`);
        if (typeof m !== 'string' || !m || len(m) > L.errorMessage) c.err(`/errors/${k}`, `must be a string of 1 to ${L.errorMessage} characters`);
      }
  } else if (['update', 'push'].includes(String(body.response_action))) {
    const p = validateView(body.view, 'modal');
    if (p) return p;
  } else if (body.response_action !== 'clear') c.err('/response_action', `unknown response_action ${JSON.stringify(body.response_action)}`);
  return c.messages.length ? { error: 'invalid_ack', messages: c.messages } : undefined;
}

/** A views.open / views.update / views.publish `view`. */
export function validateView(raw: unknown, expected: 'modal' | 'home'): Problem | undefined {
  const parsed = parseMaybeJson(raw);
  if (!parsed.ok || !isObj(parsed.value)) return { error: 'invalid_arguments', messages: ['[ERROR] view must be a JSON object [json-pointer:/view]'] };
  const v = parsed.value;
  const c = new Collector();
  if (v.type !== expected) c.err('/view/type', `must be ${expected}`);
  onlyKeys(c, '/view', v, ['type', 'title', 'close', 'submit', 'blocks', 'private_metadata', 'callback_id', 'external_id', 'clear_on_close', 'notify_on_close']);
  if (expected === 'modal') {
    textObject(c, '/view/title', v.title, L.viewTitle, 'plain_text');
    if (v.close !== undefined) textObject(c, '/view/close', v.close, L.viewTitle, 'plain_text');
    if (v.submit !== undefined) textObject(c, '/view/submit', v.submit, L.viewTitle, 'plain_text');
  }
  if (v.private_metadata !== undefined && (typeof v.private_metadata !== 'string' || len(v.private_metadata) > L.privateMetadata)) {
    c.err('/view/private_metadata', `must be a string of at most ${L.privateMetadata} characters`);
  }
  if (v.callback_id !== undefined && (typeof v.callback_id !== 'string' || len(v.callback_id) > L.callbackId)) {
    c.err('/view/callback_id', `must be a string of at most ${L.callbackId} characters`);
  }
  blocksProblems(c, v.blocks, L.viewBlocks, '/view/blocks', expected === 'modal');
  // Slack: a modal with inputs needs a submit button (or nothing could ever be submitted).
  if (expected === 'modal' && Array.isArray(v.blocks) && v.blocks.some((b) => isObj(b) && b.type === 'input') && v.submit === undefined) c.err('/view/submit', 'required when the view has input blocks');
  return c.messages.length ? { error: 'invalid_arguments', messages: c.messages } : undefined;
}

/**
 * Live Slack markup in what the bot posts: `<!channel>`/`<!here>`/`<!subteam^…>`, `<@U…>` mentions, `<#C…>`
 * channel links and `<scheme:…|label>` links — every token Slack would turn into a ping or a link. Only mrkdwn
 * is parsed by Slack (the top-level `text`, `mrkdwn` text objects); `plain_text` shows such text literally.
 * `allowedMentions` are user ids the bot may legitimately mention (people who acted).
 */
export function liveMarkup(payload: unknown, allowedMentions: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  const scan = (text: string): void => {
    for (const m of text.matchAll(/<([!@#]|[A-Za-z][A-Za-z0-9+.-]*:)[^<>]*>/g)) {
      const token = m[0];
      const mention = /^<@([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(token);
      if (mention && allowedMentions.has(mention[1] ?? '')) continue;
      found.push(token);
    }
  };
  const walk = (v: unknown, top: boolean): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, false));
    if (!v || typeof v !== 'object') return;
    const o = v as Obj;
    if (typeof o.text === 'string' && (top || o.type === 'mrkdwn')) scan(o.text);
    for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(parseMaybeJsonValue(x), false);
  };
  walk(payload, true);
  return found;
}

function parseMaybeJsonValue(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  const p = parseMaybeJson(v);
  return p.ok ? p.value : v;
}
