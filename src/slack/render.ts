/**
 * MessageModel → Block Kit. Pure: no I/O, no clock, no Slack client. Whatever it returns fits what Slack accepts
 * (shared/slack-limits.md): long content is split across blocks, and what still does not fit is cut with a note
 * that says so, never refused by Slack. Every string leaving here has been through `redact()`.
 *
 * Buttons: every `MessageAction` becomes a button with `action_id` `wsd:<kind>:<n>` (n counts buttons in the
 * message, so ids are unique) and the action's `value`. `parseActionId()` is the inverse the listeners route on.
 */
import type { types } from '@slack/bolt';
import { OVERALL_EMOJI, STATUS_EMOJI, type CheckRow, type MessageAction, type MessageBlock, type MessageModel } from '../chat/model';
import { inlineCode, literal } from '../chat/text';
import { redact } from '../telemetry/redact';
import { printable } from '../util/printable';

type KnownBlock = types.KnownBlock;
type View = types.View;
type Button = types.Button;

export const LIMITS = {
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
  privateMetadata: 3000,
  callbackId: 255,
  viewTitle: 24,
  /** Slack truncates `text` past 40,000; the fallback is kept far shorter on purpose. */
  messageText: 40000,
  fallbackText: 3000,
} as const;

export const ACTION_PREFIX = 'wsd';

/** `wsd:<kind>:<n>`; kinds may contain `:` (e.g. `remediate:restart-web`). */
export function actionIdFor(kind: string, n: number): string {
  const id = `${ACTION_PREFIX}:${kind}:${n}`;
  if (id.length > LIMITS.actionId) throw new Error(`action kind too long for an action_id: ${kind.slice(0, 40)}…`);
  return id;
}

export function parseActionId(actionId: string): { kind: string; n: number } | undefined {
  const m = /^wsd:(.+):(\d+)$/.exec(actionId);
  return m ? { kind: m[1] ?? '', n: Number(m[2]) } : undefined;
}

/** The result reference carried in an actions block's block_id (`wsd-a<i>~<ref>`), if any. */
export function refFromBlockId(blockId: string | undefined): string | undefined {
  if (!blockId) return undefined;
  const i = blockId.indexOf('~');
  return i >= 0 ? blockId.slice(i + 1) || undefined : undefined;
}

export interface RenderOptions {
  /** Block budget: 50 for messages (default), 100 for modals and App Home. */
  maxBlocks?: number;
  /** Short id of the stored result, embedded in every actions block's block_id (≤ 64 chars). */
  ref?: string;
  /** Action kinds not to show on this surface (e.g. `share` on a message already in the channel). */
  omitKinds?: readonly string[];
  /** A context line added just before the trailing actions (e.g. "Posted by <@U1>"); only user mentions stay live. */
  note?: string;
}

export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
  /** True when something had to be cut to fit. */
  truncated: boolean;
}

type Piece = { block: KnownBlock; tail: boolean };

// ── text helpers ────────────────────────────────────────────────────────────────────────────────────────────

/** Cut `text` to at most `max` UTF-16 units (never splitting a surrogate pair), ending with `…` when cut. */
export function clip(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ellipsis.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + ellipsis;
}

/** Split text into chunks of at most `max`, preferring line boundaries. */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (cur) (out.push(cur), (cur = ''));
      let end = max;
      const code = rest.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end--;
      out.push(rest.slice(0, end));
      rest = rest.slice(end);
    }
    if (!cur) cur = rest;
    else if (cur.length + 1 + rest.length <= max) cur += '\n' + rest;
    else (out.push(cur), (cur = rest));
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Escape `&`, `<`, `>` as Slack's mrkdwn requires. Every one: text that reaches a renderer is never markup, so
 * `<!channel>`, `<@U…>`, `<#C…>` and `<https://evil|label>` from a log line or a header arrive as text and ping
 * or link nothing. The bot's own mentions go through `note` (see `trustedNote`), never through model text.
 */
export function mrkdwnEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A note the bot wrote itself ("Posted by <@U…>"): escaped like any text, then only well-formed user mentions
 * (Slack user ids, `U`/`W` + capitals/digits) are restored — no `<!channel>`, channel or link can ride along.
 */
export function trustedNote(note: string): string {
  return mrkdwnEscape(redact(printable(note))).replace(/&lt;@([UW][A-Z0-9]{1,20})&gt;/g, '<@$1>');
}

/** Control characters out (util/printable.ts), redact, then escape: every mrkdwn string goes through here. */
const md = (text: string): string => mrkdwnEscape(redact(printable(text)));
/** Plain text (headers, labels): redacted; Slack rejects empty strings, so fall back to a visible dash. */
const plain = (text: string, max: number): string => clip(redact(printable(text)).replace(/\s+/g, ' ').trim() || '–', max);

const mrkdwnSection = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

// ── blocks ──────────────────────────────────────────────────────────────────────────────────────────────────

function checkLine(row: CheckRow): string {
  const explained = row.explainedBy ? ` ← explained by ${inlineCode(row.explainedBy)}` : '';
  return `${STATUS_EMOJI[row.status]} *${literal(row.name)}* — ${literal(row.summary)} _(${Math.round(row.durationMs)} ms)_${explained}`;
}

function codeChunks(text: string): string[] {
  // Triple backticks inside the content would end the block early.
  const body = redact(printable(text)).replace(/```/g, '`\u200b`\u200b`');
  const fence = 8; // "```\n" + "\n```"
  return splitText(mrkdwnEscape(body), LIMITS.sectionText - fence).map((c) => '```\n' + c + '\n```');
}

function buttonFor(action: MessageAction, n: number): Button | undefined {
  // Sealed values (chat/actions/seal.ts) are strings the redactor leaves unchanged; anything else is shown as JSON.
  const value = redact(typeof action.value === 'string' ? action.value : JSON.stringify(action.value ?? null));
  if (value.length > LIMITS.buttonValue) return undefined;
  const button: Button = {
    type: 'button',
    action_id: actionIdFor(action.kind, n),
    text: { type: 'plain_text', text: plain(action.label || action.kind, LIMITS.buttonText), emoji: true },
    // Screen readers read this instead of the (short) visible label.
    accessibility_label: plain(action.accessibilityLabel ?? action.label ?? action.kind, LIMITS.accessibilityLabel),
    value,
  };
  if (action.style === 'primary' || action.style === 'danger') button.style = action.style;
  if (action.confirm) {
    button.confirm = {
      title: { type: 'plain_text', text: plain(action.confirm.title, LIMITS.confirmTitle) },
      text: { type: 'plain_text', text: plain(action.confirm.text, LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: plain(action.confirm.confirm, LIMITS.confirmButton) },
      deny: { type: 'plain_text', text: plain(action.confirm.deny, LIMITS.confirmButton) },
      ...(action.style === 'danger' ? { style: 'danger' } : {}),
    };
  }
  return button;
}

function piecesFor(block: MessageBlock, counter: { n: number }, omit: ReadonlySet<string>): Piece[] {
  switch (block.type) {
    case 'header':
      return [{ block: { type: 'header', text: { type: 'plain_text', text: plain(block.text, LIMITS.headerText), emoji: true } }, tail: false }];
    case 'verdict': {
      const text = `${OVERALL_EMOJI[block.overall]} *${md(block.text)}*`;
      return [{ block: mrkdwnSection(clip(text, LIMITS.sectionText)), tail: false }];
    }
    case 'text': {
      const text = md(block.text).trim();
      return text ? splitText(text, LIMITS.sectionText).map((t) => ({ block: mrkdwnSection(t), tail: false })) : [];
    }
    case 'checks': {
      const lines = block.rows.map((r) => md(checkLine(r)));
      if (!lines.length) return [];
      return splitText(lines.join('\n'), LIMITS.sectionText).map((t) => ({ block: mrkdwnSection(t), tail: false }));
    }
    case 'fields': {
      const fields = block.fields
        .map((f) => clip(`*${md(f.label)}*\n${md(f.value)}`, LIMITS.fieldText))
        .map((text) => ({ type: 'mrkdwn' as const, text }));
      const out: Piece[] = [];
      for (let i = 0; i < fields.length; i += LIMITS.fields) {
        out.push({ block: { type: 'section', fields: fields.slice(i, i + LIMITS.fields) }, tail: false });
      }
      return out;
    }
    case 'code':
      return codeChunks(block.text).map((t) => ({ block: mrkdwnSection(t), tail: false }));
    case 'context': {
      const text = md(block.text).trim();
      return text ? [{ block: { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, LIMITS.contextText) }] }, tail: true }] : [];
    }
    case 'divider':
      return [{ block: { type: 'divider' }, tail: false }];
    case 'actions': {
      const buttons: Button[] = [];
      let dropped = 0;
      for (const a of block.actions) {
        if (omit.has(a.kind)) continue;
        const b = buttonFor(a, ++counter.n);
        if (b) buttons.push(b);
        else dropped++;
      }
      const out: Piece[] = [];
      for (let i = 0; i < buttons.length; i += LIMITS.actionsElements) {
        out.push({ block: { type: 'actions', elements: buttons.slice(i, i + LIMITS.actionsElements) }, tail: true });
      }
      if (dropped) {
        out.push({
          block: { type: 'context', elements: [{ type: 'mrkdwn', text: `${dropped} action(s) omitted: their payload is too large for a button.` }] },
          tail: true,
        });
      }
      return out;
    }
  }
}

/** Gives every block a unique block_id; actions blocks carry the result ref after `~`. */
function assignBlockIds(blocks: KnownBlock[], ref: string | undefined): KnownBlock[] {
  const safeRef = ref ? ref.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64) : '';
  return blocks.map((b, i) => {
    const id = b.type === 'actions' && safeRef ? `wsd-a${i}~${safeRef}` : `wsd-b${i}`;
    return { ...b, block_id: id.slice(0, LIMITS.blockId) } as KnownBlock;
  });
}

function renderBlocks(model: MessageModel, opts: RenderOptions): { blocks: KnownBlock[]; truncated: boolean } {
  const max = opts.maxBlocks ?? LIMITS.messageBlocks;
  const omit = new Set(opts.omitKinds ?? []);
  const counter = { n: 0 };
  const pieces = model.blocks.flatMap((b) => piecesFor(b, counter, omit));
  // The trailing context/actions (footer, buttons) always survive a cut: they are how people act on it.
  let split = pieces.length;
  while (split > 0 && pieces[split - 1]?.tail && pieces.length - split < 3) split--;
  const body = pieces.slice(0, split).map((p) => p.block);
  const tail = pieces.slice(split).map((p) => p.block);
  if (opts.note) {
    const noteBlock: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: clip(trustedNote(opts.note), LIMITS.contextText) }] };
    const at = tail.findIndex((b) => b.type === 'actions');
    if (at >= 0) tail.splice(at, 0, noteBlock);
    else tail.push(noteBlock);
  }
  let truncated = false;
  let blocks: KnownBlock[];
  if (body.length + tail.length <= max) {
    blocks = [...body, ...tail];
  } else {
    truncated = true;
    const keepTail = tail.slice(-Math.max(0, Math.min(tail.length, max - 2)));
    const room = Math.max(0, max - keepTail.length - 1);
    const kept = body.slice(0, room);
    const hidden = body.length - kept.length;
    const hint = model.details ? ' — the full evidence is behind *Details*' : '';
    blocks = [
      ...kept,
      { type: 'context', elements: [{ type: 'mrkdwn', text: `_…${hidden} more block${hidden === 1 ? '' : 's'} not shown (Slack shows at most ${max})${hint}._` }] },
      ...keepTail,
    ];
  }
  return { blocks: assignBlockIds(blocks, opts.ref), truncated };
}

/** The notification / screen-reader fallback: short, redacted, escaped, never empty. */
export function fallbackText(model: MessageModel): string {
  const t = md(model.text).trim();
  return clip(t || 'ws-doctor', LIMITS.fallbackText);
}

/**
 * Values this module built, every string in them already redacted: the outbound queue does not walk them a
 * second time (it still redacts anything else it is handed).
 */
const rendered = new WeakSet<object>();
export function isRenderedOutput(v: unknown): boolean {
  return typeof v === 'object' && v !== null && rendered.has(v);
}

export function renderMessage(model: MessageModel, opts: RenderOptions = {}): RenderedMessage {
  const { blocks, truncated } = renderBlocks(model, opts);
  rendered.add(blocks);
  return { text: fallbackText(model), blocks, truncated };
}

export interface ModalOptions extends Omit<RenderOptions, 'maxBlocks'> {
  title?: string;
  callbackId?: string;
  privateMetadata?: string;
}

/** A read-only modal (no submit) for views.open / views.update. */
export function renderModal(model: MessageModel, opts: ModalOptions = {}): View {
  const { blocks } = renderBlocks(model, { ...opts, maxBlocks: LIMITS.viewBlocks });
  const view: View = {
    type: 'modal',
    title: { type: 'plain_text', text: plain(opts.title ?? 'ws-doctor', LIMITS.viewTitle), emoji: true },
    close: { type: 'plain_text', text: 'Close' },
    blocks: blocks.length ? blocks : [mrkdwnSection(fallbackText(model))],
  };
  if (opts.callbackId) view.callback_id = clip(opts.callbackId, LIMITS.callbackId, '');
  if (opts.privateMetadata !== undefined) {
    if (opts.privateMetadata.length > LIMITS.privateMetadata) throw new Error('private_metadata longer than 3000 chars');
    view.private_metadata = redact(opts.privateMetadata);
  }
  rendered.add(view);
  return view;
}

/** The App Home tab for views.publish. */
export function renderHome(model: MessageModel, opts: Omit<RenderOptions, 'maxBlocks'> = {}): View {
  const { blocks } = renderBlocks(model, { ...opts, maxBlocks: LIMITS.viewBlocks });
  const view: View = { type: 'home', blocks: blocks.length ? blocks : [mrkdwnSection(fallbackText(model))] };
  rendered.add(view);
  return view;
}
