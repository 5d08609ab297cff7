/**
 * An incident card as a message model: one card per root cause, redrawn in place as it changes. Names the
 * cause, lists the held-back symptoms, says who acknowledged or silenced it, and carries the buttons
 * (Acknowledge, Silence 1 h / 4 h / custom, Run diagnostics, the rule's remediations). Everything that came
 * from rules, Prometheus labels or Alertmanager is untrusted text: `literal()`/`inlineCode()` here, escaping in
 * the renderer. People are named through `note` (mentions are restored only there).
 */
import type { AlertState, IncidentView, ThreadNote } from '../alerts/types';
import { formatDuration } from '../util/prom-duration';
import type { MessageAction, MessageBlock, MessageModel } from './model';
import { inlineCode, literal } from './text';
import { causeRemediations, fixButtons } from './fix-buttons';

export const ALERT_ACTION = { ack: 'alert-ack', silence: 'alert-silence', diagnose: 'alert-diagnose', remediate: 'remediate' } as const;

const SEVERITY_EMOJI = { critical: '🔴', warning: '🟠', info: '🔵' } as const;

function ago(from: number | undefined, now: number): string {
  return from === undefined ? '' : formatDuration(Math.max(0, now - from));
}

function alertLine(a: AlertState, now: number): string {
  const state = a.phase === 'firing' ? `firing for ${ago(a.firedAt, now)}` : a.phase === 'resolved' ? 'resolved' : a.phase;
  const what = a.annotations.summary || a.summary || '';
  return `• ${inlineCode(a.rule)} — ${literal(what)} _(${state}${a.flapping ? ', flapping' : ''})_`;
}

export interface CardModel {
  model: MessageModel;
  /** Trusted line naming people (ack, silence) with mentions. */
  note?: string;
}

export function incidentCard(view: IncidentView, now = Date.now()): CardModel {
  const { incident: inc, root, rootRule, symptoms, status } = view;
  const test = inc.test || root.test;
  const tag = test ? '[TEST] ' : '';
  if (inc.mergedInto) {
    const text = `Merged: ${inc.title} → ${inc.mergedInto.title}`;
    return {
      model: {
        text,
        blocks: [
          { type: 'header', text: `↪ ${tag}${inc.title}` },
          { type: 'text', text: `Moved under *${literal(inc.mergedInto.title)}*: these alerts are symptoms of that cause and are listed on its card.` },
        ],
        visibility: 'channel',
      },
    };
  }
  const head =
    status === 'resolved' ? `✅ ${tag}Resolved: ${inc.title}` : status === 'flapping' ? `🟡 ${tag}Flapping: ${inc.title}` : `${SEVERITY_EMOJI[root.severity]} ${tag}Firing: ${inc.title}`;
  const blocks: MessageBlock[] = [{ type: 'header', text: head }];
  if (test) blocks.push({ type: 'context', text: 'This is a test notification sent with `alerts test`; nothing is wrong.' });
  if (inc.cause) {
    const from = inc.cause.kind === 'diagnosis' ? 'diagnosis' : 'depends_on';
    blocks.push({ type: 'text', text: `*Root cause:* ${literal(inc.cause.title)} _(from ${from})_` });
  }
  const description = root.annotations.description || root.summary;
  if (description && description !== inc.title) blocks.push({ type: 'text', text: literal(description) });
  const fields: Array<{ label: string; value: string }> = [
    { label: 'Alert', value: inlineCode(root.rule) },
    { label: 'Severity', value: root.severity },
    { label: 'Environment', value: inlineCode(root.env) },
    {
      label: status === 'resolved' ? 'Lasted' : 'Since',
      value:
        status === 'resolved'
          ? formatDuration(Math.max(0, (root.resolvedAt ?? now) - (root.firedAt ?? inc.openedAt)))
          : `${ago(root.firedAt ?? inc.openedAt, now)} (${new Date(root.firedAt ?? inc.openedAt).toISOString().slice(11, 19)} UTC)`,
    },
  ];
  if (root.value !== undefined && Number.isFinite(root.value)) fields.push({ label: 'Value', value: String(+root.value.toPrecision(4)) });
  if (rootRule?.runbook) fields.push({ label: 'Runbook', value: literal(rootRule.runbook) });
  if (rootRule?.kind === 'prom') fields.push({ label: 'Expression', value: inlineCode(rootRule.expr.slice(0, 300)) });
  if (rootRule?.kind === 'check') fields.push({ label: 'Check', value: `${inlineCode(rootRule.check)} fails ${rootRule.failAfter}× in a row` });
  if (root.generatorUrl) fields.push({ label: 'Source', value: literal(root.generatorUrl) });
  blocks.push({ type: 'fields', fields: fields.slice(0, 10) });
  if (symptoms.length) {
    blocks.push({ type: 'text', text: `*Held back — symptoms of this cause (${symptoms.length}):*\n${symptoms.slice(0, 20).map((s) => alertLine(s, now)).join('\n')}${symptoms.length > 20 ? `\n…and ${symptoms.length - 20} more` : ''}` });
  }
  if (root.flapping) blocks.push({ type: 'context', text: `🟡 Flapping: ${root.transitions.length} fire/resolve changes recently; fire and resolve notices are paused until it settles.` });
  if (view.maintenance) blocks.push({ type: 'context', text: `🛠 Maintenance until ${new Date(view.maintenance.endsAt).toISOString().slice(0, 16)}Z: ${literal(view.maintenance.reason)}` });

  const notes: string[] = [];
  if (inc.ackedBy) notes.push(`Acknowledged by ${mention(inc.ackedBy.user)}`);
  if (view.silence) notes.push(`Silenced by ${mention(view.silence.createdBy)} until ${new Date(view.silence.endsAt).toISOString().slice(11, 16)} UTC`);

  if (status !== 'resolved' && !test) {
    const ref = { incident: inc.key, env: root.env };
    const actions: MessageAction[] = [];
    if (!inc.ackedBy) actions.push({ kind: ALERT_ACTION.ack, label: 'Acknowledge', value: ref, style: 'primary' });
    if (!view.silence) {
      actions.push({ kind: ALERT_ACTION.silence, label: 'Silence 1 h', value: { ...ref, duration: '1h' } });
      actions.push({ kind: ALERT_ACTION.silence, label: 'Silence 4 h', value: { ...ref, duration: '4h' } });
      actions.push({ kind: ALERT_ACTION.silence, label: 'Silence…', value: { ...ref, duration: 'custom' } });
    }
    actions.push({ kind: ALERT_ACTION.diagnose, label: 'Run diagnostics', value: ref });
    // The remediation flow (approval, lock, plan, verify) takes over from here: same value shape as its own buttons.
    // The rule's own remediations, then the fixes diagnosis offers for the named cause (known ids only).
    const fixes = [...(rootRule?.remediations ?? []), ...causeRemediations(inc.cause?.kind === 'diagnosis' ? inc.cause.id : root.cause?.id)];
    actions.push(...fixButtons(fixes, root.env).map((b) => ({ ...b, kind: ALERT_ACTION.remediate, label: `Fix: ${(b.value as { action: string }).action}` })));
    blocks.push({ type: 'actions', actions });
  }
  const text = `${status === 'resolved' ? 'Resolved' : status === 'flapping' ? 'Flapping' : 'Firing'}: ${tag}${inc.title}${symptoms.length ? ` (+${symptoms.length} held back)` : ''}`;
  return { model: { text, blocks, visibility: 'channel' }, ...(notes.length ? { note: notes.join(' · ') } : {}) };
}

/** Slack user ids become mentions (restored only in the trusted note); anything else is shown as text. */
const SLACK_USER = /^[UW][A-Z0-9]{1,20}$/;

function mention(user: string): string {
  return SLACK_USER.test(user) ? `<@${user}>` : user;
}

export function threadNoteModel(note: ThreadNote): CardModel {
  const emoji = { repeat: '🔁', resolved: '✅', fired: '🔴', ack: '👀', silence: '🔕', 'silence-expiring': '⏳', 'silence-ended': '🔔', flapping: '🟡', info: 'ℹ️', maintenance: '🛠' }[note.kind];
  const ids = (note.mentions ?? []).filter((u) => SLACK_USER.test(u));
  if (!ids.length) return { model: { text: `${emoji} ${note.text}`, blocks: [{ type: 'text', text: `${emoji} ${literal(note.text)}` }] } };
  // Only the named ids become mentions, through the trusted note line; everything else stays text.
  // A mention typed into the text (a silence's comment: `<@U0BOSS>`) must stay text: the trusted note line
  // restores every `<@U…>` it sees, so a word joiner goes between `<` and `@` before ours are put in.
  let text = note.text.replace(/<@/g, '<\u2060@');
  for (const u of ids) text = text.split(u).join(`<@${u}>`);
  return { model: { text: `${emoji} ${note.text}`, blocks: [] }, note: `${emoji} ${text}` };
}
