/**
 * Renders message models as readable terminal text: the same models Slack turns into Block Kit. Slack's
 * mrkdwn (`*bold*`, `_italic_`, `` `code` ``) is turned into ANSI styles when colour is on, plain text otherwise.
 */
import { OVERALL_EMOJI, STATUS_EMOJI, type MessageBlock, type MessageModel } from '../chat/model';

export interface RenderOptions {
  color: boolean;
  /** Terminal width for rules; text is not hard-wrapped (terminals wrap better than we do). */
  width?: number;
}

const ansi = (code: string, s: string, on: boolean): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function inline(text: string, color: boolean): string {
  return text
    .replace(/\*([^*\n]+)\*/g, (_m, s: string) => ansi('1', s, color))
    .replace(/(^|\s)_([^_\n]+)_(?=\s|$|[.,;:])/g, (_m, pre: string, s: string) => pre + ansi('2', s, color))
    .replace(/`([^`\n]+)`/g, (_m, s: string) => ansi('36', s, color))
    .replace(/:hourglass_flowing_sand:/g, '⏳')
    .replace(/:warning:/g, '⚠️ ');
}

function block(b: MessageBlock, o: RenderOptions): string {
  const width = Math.min(o.width ?? 80, 100);
  switch (b.type) {
    case 'header':
      return ansi('1;4', b.text, o.color);
    case 'verdict':
      return `${OVERALL_EMOJI[b.overall]} ${ansi(b.overall === 'ok' ? '1;32' : b.overall === 'down' ? '1;31' : '1;33', b.text, o.color)}`;
    case 'text':
      return inline(b.text, o.color);
    case 'checks': {
      const nameWidth = Math.max(...b.rows.map((r) => r.name.length), 4);
      return b.rows
        .map((r) => {
          const dur = `${r.durationMs} ms`.padStart(8);
          const why = r.explainedBy ? ansi('2', `  ← ${r.explainedBy}`, o.color) : '';
          return `  ${STATUS_EMOJI[r.status]} ${r.name.padEnd(nameWidth)} ${ansi('2', dur, o.color)}  ${inline(r.summary, o.color)}${why}`;
        })
        .join('\n');
    }
    case 'fields':
      return b.fields.map((f) => `  ${ansi('1', f.label + ':', o.color)} ${inline(f.value, o.color)}`).join('\n');
    case 'code':
      return b.text
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n');
    case 'context':
      return ansi('2', inline(b.text, false), o.color);
    case 'divider':
      return ansi('2', '─'.repeat(width), o.color);
    case 'actions':
      // Buttons become the commands that do the same thing.
      return ansi('2', `  [${b.actions.map((a) => a.label).join('] [')}]`, o.color);
  }
}

export function renderText(msg: MessageModel, o: RenderOptions): string {
  return msg.blocks
    .filter((b) => b.type !== 'actions')
    .map((b) => block(b, o))
    .join('\n');
}
