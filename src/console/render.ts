/**
 * Renders message models as readable terminal text: the same models Slack turns into Block Kit. Slack's
 * mrkdwn (`*bold*`, `_italic_`, `` `code` ``) is turned into ANSI styles when colour is on, plain text otherwise:
 * no markup character reaches the terminal. With a width (a terminal), every line is wrapped at word
 * boundaries with a hanging indent that keeps it in its column (check rows continue under their summary).
 */
import { OVERALL_EMOJI, STATUS_EMOJI, type MessageBlock, type MessageModel } from '../chat/model';
import { printableDeep } from '../util/printable';
import { terminalStyle, type TerminalOut } from './terminal';
import { displayWidth, wrapLine, wrapText } from './wrap';

export interface RenderOptions {
  color: boolean;
  /** Terminal width to wrap to; undefined (a pipe, a file) = no wrapping, one line per row for scripts. */
  width?: number;
  /** How commands are typed where this is shown: '' in the console (default), `ws-doctor` on the CLI. */
  prefix?: string;
}

/** "Why: …", "Next step: …": continuation lines align after the label. */
const LABEL = /^((?:\x1b\[[0-9;]*m)*[A-Z][A-Za-z ]{0,18}:(?:\x1b\[[0-9;]*m)* )/;
const BULLET = /^(\s*(?:[-•·*]|\d+\.)\s+|\s+)/;

function hangingIndent(line: string): number {
  const label = LABEL.exec(line);
  if (label) return displayWidth(label[1]!);
  const bullet = BULLET.exec(line);
  return bullet ? displayWidth(bullet[1]!) : 2;
}

const ansi = (code: string, s: string, on: boolean): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Slack's slash command as the core's texts write it (`/ws logs web`): retyped for the surface. */
const SLASH_COMMAND = /^\/ws(?=\s|$)\s*/;
/** U+02CB, what chat/text.ts' literal() puts in place of a backtick for Slack; a plain backtick here. */
const NOT_A_BACKTICK = /\u02cb/g;

function styled(text: string, color: boolean): string {
  return text
    .replace(/\*([^*\n]+)\*/g, (_m, s: string) => ansi('1', s, color))
    .replace(/(^|\s)_([^_\n]+)_(?=\s|$|[.,;:])/g, (_m, pre: string, s: string) => pre + ansi('2', s, color))
    .replace(/:hourglass_flowing_sand:/g, '⏳')
    .replace(/:warning:/g, '⚠️ ');
}

/** mrkdwn to terminal text: code spans (first, so a `*` inside one is not bold) cyan, `*bold*`, `_dim_`. */
function inline(text: string, color: boolean, prefix = ''): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => {
      if (i % 2 === 0) return styled(part, color);
      const code = part.slice(1, -1).replace(SLASH_COMMAND, prefix ? `${prefix} ` : '');
      return ansi('36', code, color);
    })
    .join('')
    .replace(NOT_A_BACKTICK, '`');
}

function block(b: MessageBlock, o: RenderOptions): string {
  const w = o.width;
  switch (b.type) {
    case 'header':
      return wrapLine(ansi('1;4', b.text, o.color), w, 0);
    case 'verdict': {
      const mark = `${OVERALL_EMOJI[b.overall]} `;
      return wrapLine(`${mark}${ansi(b.overall === 'ok' ? '1;32' : b.overall === 'down' ? '1;31' : '1;33', inline(b.text, false, o.prefix), o.color)}`, w, displayWidth(mark));
    }
    case 'text':
      return inline(b.text, o.color, o.prefix)
        .split('\n')
        .map((l) => wrapLine(l, w, hangingIndent(l)))
        .join('\n');
    case 'checks': {
      const nameWidth = Math.max(...b.rows.map((r) => r.name.length), 4);
      // "  ✅ name…  1234 ms  summary": the summary column starts here, continuation lines too.
      const summaryColumn = 2 + 2 + 1 + nameWidth + 1 + 8 + 2;
      return b.rows
        .map((r) => {
          const dur = `${r.durationMs} ms`.padStart(8);
          const why = r.explainedBy ? ansi('2', `  ← ${r.explainedBy}`, o.color) : '';
          const mark = STATUS_EMOJI[r.status];
          // A text-style mark (⚠️ shows one column on some terminals) is padded to the emoji's two.
          const pad = ' '.repeat(Math.max(0, 2 - displayWidth(mark)));
          return wrapLine(`  ${mark}${pad} ${r.name.padEnd(nameWidth)} ${ansi('2', dur, o.color)}  ${inline(r.summary, o.color, o.prefix)}${why}`, w, summaryColumn);
        })
        .join('\n');
    }
    case 'fields':
      return b.fields
        .map((f) => {
          const label = `  ${f.label}: `;
          return wrapLine(`  ${ansi('1', f.label + ':', o.color)} ${inline(f.value, o.color, o.prefix)}`, w, Math.min(displayWidth(label), 24));
        })
        .join('\n');
    case 'code':
      // Log lines and evidence: cut at the width, continued a little further in so each line's start stands out.
      return wrapText(
        b.text
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
        w,
        6,
      );
    case 'context':
      return inline(b.text, false, o.prefix)
        .split('\n')
        .map((l) => wrapLine(ansi('2', l, o.color), w, 2))
        .join('\n');
    case 'divider':
      return ansi('2', '─'.repeat(Math.min(w ?? 80, 100)), o.color);
    case 'actions':
      // Buttons become the commands that do the same thing.
      return ansi('2', `  [${b.actions.map((a) => a.label).join('] [')}]`, o.color);
  }
}

export function renderText(msg: MessageModel, o: RenderOptions): string {
  // Escape sequences from the watched stack (a label, a log line) must not drive the terminal: only our own styles.
  return printableDeep(msg).blocks
    .filter((b) => b.type !== 'actions')
    .map((b) => block(b, o))
    .join('\n');
}

/** A message for a given output stream: colour and wrapping as the stream allows (terminal.ts). */
export function renderForStream(msg: MessageModel, out: TerminalOut, prefix = '', env: NodeJS.ProcessEnv = process.env): string {
  const t = terminalStyle(out, env);
  return renderText(msg, { color: t.color, ...(t.width !== undefined ? { width: t.width } : {}), prefix });
}
