/**
 * Container output is text to show, never instructions to a terminal or to Slack. Log lines arrive with ANSI
 * colour codes, cursor moves that can hide the line before them (`ESC[1A ESC[2K`), OSC sequences that retitle a
 * terminal or plant hyperlinks, bells and NULs. `printable()` drops the escape sequences (their visible text
 * stays) and replaces every other control character with U+FFFD, so `ws-doctor logs` in a terminal shows what the
 * line says and a Slack message carries no bytes Slack or a client would act on. Tabs are kept.
 */

/** CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`), DCS/PM/APC/SOS strings (`ESC P|^|_|X … ST`), two-byte escapes. */
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[P^_X][^\u001b]*(?:\u001b\\)?|\u001b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]/g;
/** C0 controls but tab, DEL, C1 controls; newlines never occur inside one line. */
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function printable(line: string): string {
  // Fast path: almost every log line has no control character at all.
  if (!/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(line)) return line;
  return line.replace(ESCAPES, '').replace(CONTROLS, '\ufffd');
}
