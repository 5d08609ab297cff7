import { statusMessage } from '../../src/chat/status-message';
import { renderText } from '../../src/console/render';
import { diagnose } from '../../src/diagnosis/diagnose';
import type { Finding } from '../../src/checks/types';

const f = (check: string, status: Finding['status'], signals: string[] = []): Finding => ({
  check, status, summary: `${check} is ${status}`, evidence: { latencyMs: 3 }, durationMs: 12, ref: 'target-system check 9', ...(signals.length ? { signals } : {}),
});

describe('console rendering of the status model', () => {
  const findings = [f('redis', 'fail', ['redis-down']), f('token-issuance', 'fail', ['token-endpoint-500']), f('http-liveness', 'ok')];
  const report = { env: 'local', startedAt: '2026-11-26T00:00:00.000Z', durationMs: 40, findings, verdict: diagnose(findings), timedOut: [] };

  it('puts the verdict with the root cause first, failing checks before passing ones, and the causal link', () => {
    const text = renderText(statusMessage(report), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^🔴 Down: Redis is down/);
    expect(text).toMatch(/Next step: Restart Redis/);
    const redisLine = lines.findIndex((l) => l.includes('redis') && l.includes('12 ms'));
    const okLine = lines.findIndex((l) => l.includes('http-liveness'));
    expect(redisLine).toBeGreaterThan(0);
    expect(okLine).toBeGreaterThan(redisLine);
    expect(lines.find((l) => l.includes('token-issuance is fail'))).toMatch(/← redis-down/);
    expect(text).toContain('env `local`'.replace(/`/g, ''));
  });

  it('uses ANSI styles only when colour is on', () => {
    expect(renderText(statusMessage(report), { color: false })).not.toMatch(/\x1b\[/);
    expect(renderText(statusMessage(report), { color: true })).toMatch(/\x1b\[1;31m/);
  });

  it('carries Re-run, Details, Post-to-channel and the root cause\'s fix as actions, and the evidence as details', () => {
    const msg = statusMessage(report);
    const actions = msg.blocks.find((b) => b.type === 'actions');
    expect(actions && actions.type === 'actions' ? actions.actions.map((a) => a.kind) : []).toEqual(['rerun', 'details', 'share', 'remediate']);
    expect(renderText(msg.details!, { color: false })).toContain('latencyMs: 3');
  });
});

describe('console rendering of text from the stack', () => {
  it('drops escape sequences a label or log line carries; only its own styles reach the terminal', () => {
    const evil = { ...f('containers', 'warn'), summary: 'service \u001b]52;c;ZXZpbA==\u0007web\u001b[2K\u001b[1A is \u001b[31mred\u001b[0m' };
    const report = { env: 'local', startedAt: '2026-11-26T00:00:00.000Z', durationMs: 40, findings: [evil], verdict: diagnose([evil]), timedOut: [] };
    const plain = renderText(statusMessage(report), { color: false });
    expect(plain).not.toMatch(/[\u001b\u0007]/);
    expect(plain).toContain('service web is red');
    const coloured = renderText(statusMessage(report), { color: true });
    expect(coloured).not.toMatch(/\u001b\]|\u001b\[2K|\u001b\[1A|\u0007/);
  });
});
