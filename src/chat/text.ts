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

/** U+02CB MODIFIER LETTER GRAVE ACCENT: looks like a backtick, is not one. */
const NOT_A_BACKTICK = '\u02cb';

export function literal(text: string): string {
  return text.replace(/`/g, NOT_A_BACKTICK);
}

export function inlineCode(text: string): string {
  const body = literal(text).replace(/[\r\n]+/g, ' ');
  return '`' + (body || ' ') + '`';
}
