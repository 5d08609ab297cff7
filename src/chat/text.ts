/**
 * Text is never markup. Helpers for the places where the bot's own formatting meets text that came from the
 * watched stack, the config or a user (check names, env names, echoed input, log lines, headers):
 *
 * - `inlineCode(s)` wraps untrusted text in a code span it cannot break out of (a backtick inside would end the
 *   span early and let the rest be read as formatting).
 * - `literal(s)` neutralises backticks in untrusted text that is not in a code span, so it cannot open one
 *   that swallows the bot's own formatting after it.
 *
 * `&`, `<` and `>` (mentions, `<!channel>`, disguised links) are escaped by the Slack renderer for every mrkdwn
 * string; these helpers only take care of what escaping alone cannot: the code-span boundaries.
 */
import type { MessageBlock, MessageModel } from './model';

/** U+02CB MODIFIER LETTER GRAVE ACCENT: looks like a backtick, is not one. */
const NOT_A_BACKTICK = '\u02cb';

export function literal(text: string): string {
  return text.replace(/`/g, NOT_A_BACKTICK);
}

export function inlineCode(text: string): string {
  const body = literal(text).replace(/[\r\n]+/g, ' ');
  return '`' + (body || ' ') + '`';
}

/**
 * Texts written once for every surface (a diagnosis' next step: "see `/ws logs web`") name commands the way
 * Slack's default slash command types them. This retypes every such code span for where it is shown: the
 * configured slash command in Slack (`/wsd logs web`), `ws-doctor logs web` on the CLI, `logs web` in the console.
 */
export function retypeCommands(text: string, prefix: string): string {
  if (prefix === '/ws') return text;
  return text.replace(/`\/ws(?=[\s`])\s*([^`\n]*)`/g, (_m, rest: string) => '`' + (prefix ? (rest ? `${prefix} ${rest}` : prefix) : rest || 'status') + '`');
}

/** retypeCommands over every text of a message (and its details). */
export function retypeMessage(msg: MessageModel, prefix: string): MessageModel {
  if (prefix === '/ws') return msg;
  const t = (s: string): string => retypeCommands(s, prefix);
  const blocks = msg.blocks.map((b): MessageBlock => {
    switch (b.type) {
      case 'text':
      case 'context':
      case 'verdict':
      case 'header':
        return { ...b, text: t(b.text) };
      case 'checks':
        return { ...b, rows: b.rows.map((r) => ({ ...r, summary: t(r.summary) })) };
      case 'fields':
        return { ...b, fields: b.fields.map((f) => ({ ...f, value: t(f.value) })) };
      default:
        return b;
    }
  });
  return { ...msg, text: t(msg.text), blocks, ...(msg.details ? { details: retypeMessage(msg.details, prefix) } : {}) };
}
