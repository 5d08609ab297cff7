import { displayWidth, wrapLine, wrapText } from '../../src/console/wrap';
import { renderText } from '../../src/console/render';
import { statusMessage } from '../../src/chat/status-message';
import { diagnose } from '../../src/diagnosis/diagnose';
import type { Finding } from '../../src/checks/types';

const strip = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('displayWidth', () => {
  it('counts emoji and wide characters as two columns, styles and combining marks as none', () => {
    expect(displayWidth('✅ ok')).toBe(5);
    expect(displayWidth('⚠️ x')).toBe(4); // U+26A0 + VS16: emoji presentation
    expect(displayWidth('🔴')).toBe(2);
    expect(displayWidth('\x1b[1;31mdown\x1b[0m')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('─●○←')).toBe(4);
  });
});

describe('wrapLine', () => {
  it('breaks at word boundaries with a hanging indent and never exceeds the width', () => {
    const line = 'Why: the token endpoint answers 500 because the cache (Redis DB 2) refuses connections from the web container';
    const out = wrapLine(line, 40, 5).split('\n');
    expect(out.length).toBeGreaterThan(2);
    for (const l of out) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    for (const l of out.slice(1)) expect(l).toMatch(/^ {5}\S/);
    // No word was split: rejoining the rows gives the words back.
    expect(out.map((l) => l.trim()).join(' ')).toBe(line);
  });

  it('cuts only a word longer than the line', () => {
    const out = wrapLine(`see ${'x'.repeat(50)} end`, 30, 4).split('\n');
    expect(out[0]).toBe('see');
    expect(out[1]).toBe(`    ${'x'.repeat(26)}`);
    for (const l of out) expect(displayWidth(l)).toBeLessThanOrEqual(30);
  });

  it('does not break inside the leading indentation or a short line, and leaves lines alone without a width', () => {
    expect(wrapLine('    short', 80, 2)).toBe('    short');
    const long = 'a '.repeat(100).trim();
    expect(wrapLine(long, undefined, 2)).toBe(long);
    expect(wrapText(`${long}\n${long}`, undefined, 2)).toBe(`${long}\n${long}`);
  });

  it('closes a style at the break and reopens it after the indent', () => {
    const out = wrapLine(`ab \x1b[36mone two three four five six\x1b[0m end`, 16, 3).split('\n');
    expect(out[0]).toBe('ab \x1b[36mone two\x1b[0m');
    expect(out[1]!.startsWith('   \x1b[36m')).toBe(true);
    for (const l of out) expect(displayWidth(l)).toBeLessThanOrEqual(16);
  });
});

describe('status at 80 columns', () => {
  const f = (check: string, status: Finding['status'], summary: string, signals: string[] = []): Finding => ({
    check, status, summary, evidence: {}, durationMs: 60, ref: 'x', ...(signals.length ? { signals } : {}),
  });
  const findings = [
    f('prometheus', 'fail', 'job django: 1/1 target(s) down — Get "http://127.0.0.1:35191/metrics": context deadline exceeded', ['metrics-path-mismatch']),
    f('chat-handshake', 'ok', 'connected in 123 ms, ping → pong, token refused on reuse'),
    f('metrics', 'ok', 'metrics served at /metricsmetrics, /metrics; 0 5xx responses since start'),
  ];
  const report = { env: 'demo', startedAt: '2026-12-01T00:00:00.000Z', durationMs: 60, findings, verdict: diagnose(findings), timedOut: [] };

  it.each([false, true])('keeps every row in its columns (colour %s)', (color) => {
    const lines = renderText(statusMessage(report), { color, width: 80 }).split('\n').map(strip);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    const row = lines.findIndex((l) => l.includes('❌ prometheus'));
    const summaryColumn = displayWidth(lines[row]!.slice(0, lines[row]!.indexOf('job django')));
    expect(lines[row + 1]).toMatch(new RegExp(`^ {${summaryColumn}}\\S`));
    expect(lines.filter((l) => /^ {2}[✅❌]/.test(l))).toHaveLength(3);
  });

  it('has no Slack markup in console text', () => {
    const text = renderText(statusMessage(report), { color: false, width: 80 });
    expect(text).not.toMatch(/[`*]|\/ws\b|\[share\]|:warning:|&lt;|<http/);
  });
});
