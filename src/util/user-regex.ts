/**
 * Regular expressions typed by people (`/ws logs --grep`) run on a linear-time engine (RE2, as WebAssembly:
 * no native build, loads the same on every Node): a pattern like `(a+)+$` over 50,000 log lines cannot block
 * the event loop everyone's commands share, as it would with JavaScript's backtracking RegExp. RE2 has no
 * backreferences or lookaround; such patterns are refused with a sentence that says so.
 *
 * RE2 is loaded on first use only (the wasm module is not needed by any other command).
 */
export type LineTest = (line: string) => boolean;

export type CompiledPattern = { ok: true; test: LineTest } | { ok: false; error: string };

type RE2Ctor = new (pattern: string, flags: string) => { test(s: string): boolean };
let RE2: RE2Ctor | undefined;

export function compileUserPattern(pattern: string): CompiledPattern {
  RE2 ??= (require('re2-wasm') as { RE2: RE2Ctor }).RE2;
  try {
    // `u` is required by re2-wasm (it matches on code points, as a person would expect for log text).
    const re = new RE2(pattern, 'u');
    return { ok: true, test: (line) => re.test(line) };
  } catch (err) {
    const why = (err as Error).message.replace(/^.*?:\s*/, '').slice(0, 120);
    return { ok: false, error: `not a valid pattern for the linear-time matcher (no backreferences or lookaround): ${why}` };
  }
}
