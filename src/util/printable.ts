/**
 * Text from the watched stack is shown, never obeyed. Log lines and labels arrive with ANSI colour codes, cursor
 * moves that can hide the line before them (`ESC[1A ESC[2K`), OSC sequences that retitle a terminal, write its
 * clipboard or plant hyperlinks, bells and NULs, and bidirectional overrides that make Slack or a terminal show
 * text in another order than it is (`evil\u202Etxt.exe`). `printable()` drops the escape sequences (their
 * visible text stays) and replaces every other control character and every bidi control with U+FFFD, so
 * `ws-doctor logs` in a terminal shows what the line says and a Slack message carries nothing a client acts on.
 * Tabs and newlines are kept.
 */

/** CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`), DCS/PM/APC/SOS strings (`ESC P|^|_|X … ST`), two-byte escapes. */
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[P^_X][^\u001b]*(?:\u001b\\)?|\u001b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]/g;
/** C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ANY = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function printable(text: string): string {
  // Fast path: almost every line has no control character at all.
  if (!ANY.test(text)) return text;
  return text.replace(ESCAPES, '').replace(CONTROLS, '\ufffd');
}

/** `printable` over every string of a JSON-like value (a message model), leaving its shape as it is. */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => printableDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = printableDeep(v);
    return out as T;
  }
  return value;
}
