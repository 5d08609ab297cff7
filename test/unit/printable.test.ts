import { printable, printableDeep } from '../../src/util/printable';

describe('printable: text from the stack shown, never obeyed', () => {
  test('plain lines are returned as they are (tabs kept)', () => {
    const l = 'INFO\t[WS_TOKEN] Generated connection token <!channel> `x`';
    expect(printable(l)).toBe(l);
  });

  test('colour codes and cursor moves go, their text stays', () => {
    expect(printable('\u001b[31mERROR\u001b[0m \u001b[1A\u001b[2Khidden')).toBe('ERROR hidden');
  });

  test('OSC title / hyperlink sequences go, with BEL or ST ends', () => {
    expect(printable('a\u001b]0;owned\u0007b')).toBe('ab');
    expect(printable('\u001b]8;;http://evil.example\u001b\\click\u001b]8;;\u001b\\')).toBe('click');
  });

  test('other control characters become U+FFFD, C1 included; newlines and tabs stay', () => {
    expect(printable('nul\u0000 bell\u0007 cr\r del\u007f csi\u009b')).toBe('nul\ufffd bell\ufffd cr\ufffd del\ufffd csi\ufffd');
    expect(printable('a\n\tb')).toBe('a\n\tb');
    expect(printable('a\u009b31mb')).toBe('ab');
  });

  test('a lone ESC at the end does not throw or swallow text', () => {
    expect(printable('end\u001b')).toBe('end');
  });

  test('bidi overrides and isolates cannot reorder what is shown', () => {
    expect(printable('invoice\u202Efdp.exe \u2066x\u2069')).toBe('invoice\ufffdfdp.exe \ufffdx\ufffd');
  });

  test('printableDeep cleans every string of a model and keeps its shape', () => {
    const model = { text: 'a\u001b[2Jb', blocks: [{ type: 'checks', rows: [{ name: 'x', summary: '\u001b]52;c;ZXZpbA==\u0007ok', durationMs: 3 }] }], n: 1, flag: true };
    expect(printableDeep(model)).toEqual({ text: 'ab', blocks: [{ type: 'checks', rows: [{ name: 'x', summary: 'ok', durationMs: 3 }] }], n: 1, flag: true });
  });
});
