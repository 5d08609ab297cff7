/**
 * Wrapping for terminal text: at word boundaries, to the terminal's width, continuation lines indented (a
 * hanging indent) so a table row's summary stays in its column instead of running back to column 0, as the
 * terminal's own wrapping does. ANSI styles are measured as zero width and carried across the break; emoji and
 * East Asian wide characters count two columns, combining marks none.
 */

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/y;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe0e]/u;
const EMOJI_WIDE = /\p{Emoji_Presentation}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const VS16 = '\ufe0f';

function eastAsianWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

interface Segment {
  text: string;
  width: number;
  /** An ANSI escape sequence (zero width, never a break point). */
  ansi: boolean;
}

/** Splits text into ANSI sequences and characters with their column widths. */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < text.length) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (m) {
      out.push({ text: m[0], width: 0, ansi: true });
      i += m[0].length;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    if (ch === VS16) {
      // Emoji presentation selector: a text-style pictograph before it becomes a two-column emoji.
      const prev = out[out.length - 1];
      if (prev && !prev.ansi && prev.width === 1 && PICTOGRAPH.test(prev.text)) prev.width = 2;
      if (prev && !prev.ansi) prev.text += ch;
      else out.push({ text: ch, width: 0, ansi: false });
      continue;
    }
    const width = ch === '\u200d' || ZERO_WIDTH.test(ch) ? 0 : EMOJI_WIDE.test(ch) || eastAsianWide(cp) ? 2 : 1;
    out.push({ text: ch, width, ansi: false });
  }
  return out;
}

/** Columns a string takes in a terminal (ANSI styles excluded). */
export function displayWidth(text: string): number {
  return segments(text).reduce((n, s) => n + s.width, 0);
}

/** The SGR styles in force at the end of `segs` (everything since the last reset), to reopen after a break. */
function activeStyle(segs: Segment[]): string {
  let style = '';
  for (const s of segs) {
    if (!s.ansi || !s.text.endsWith('m')) continue;
    style = s.text === '\x1b[0m' || s.text === '\x1b[m' ? '' : style + s.text;
  }
  return style;
}

/**
 * Wraps one line to `width` columns. Continuation lines start with `indent` spaces. Breaks go at the last space
 * that fits (never inside the leading indentation); a word longer than the room left is cut where the line ends.
 * `width` undefined or too narrow to hold the indent plus some text: the line is returned as it is.
 */
export function wrapLine(line: string, width: number | undefined, indent: number): string {
  if (width === undefined || width < indent + 10) return line;
  const rows: string[] = [];
  let cur: Segment[] = [];
  let col = 0;
  /** Index in `cur` of the last space after some text: where the row can break. */
  let lastSpace = -1;
  let textSeen = false;
  const isSpace = (s: Segment): boolean => !s.ansi && s.text === ' ';
  const emit = (row: Segment[], rest: Segment[]): void => {
    const style = activeStyle(row);
    rows.push(row.map((s) => s.text).join('').replace(/ +$/, '') + (style ? '\x1b[0m' : ''));
    // Spaces left at the start of the continuation would push it off its column.
    while (rest.length && isSpace(rest[0]!)) rest.shift();
    cur = [{ text: ' '.repeat(indent) + style, width: indent, ansi: false }, ...rest];
    col = cur.reduce((n, s) => n + s.width, 0);
    lastSpace = -1;
    cur.forEach((s, i) => {
      if (i > 0 && isSpace(s)) lastSpace = i;
    });
    textSeen = true;
  };
  for (const seg of segments(line)) {
    // After a break at the last space, the carried-over word may itself still not leave room: break again.
    while (seg.width > 0 && col + seg.width > width && col > indent) {
      if (lastSpace > 0) emit(cur.slice(0, lastSpace), cur.slice(lastSpace + 1));
      else emit(cur, []);
    }
    cur.push(seg);
    col += seg.width;
    if (isSpace(seg) && textSeen) lastSpace = cur.length - 1;
    else if (!seg.ansi && seg.text !== ' ') textSeen = true;
  }
  rows.push(cur.map((s) => s.text).join(''));
  return rows.join('\n');
}

/** Wraps every line of `text` with the same hanging indent. */
export function wrapText(text: string, width: number | undefined, indent: number): string {
  if (width === undefined) return text;
  return text
    .split('\n')
    .map((l) => wrapLine(l, width, indent))
    .join('\n');
}
