/**
 * The README pictures are drawn by scripts/screenshots/blockkit-html.ts from the bot's real blocks: every block
 * type the status message and the App Home use must be drawn (never the "unknown block" placeholder), and
 * text must stay text (no markup from a check summary becomes HTML).
 */
import { blocksHtml, mrkdwn } from '../../scripts/screenshots/blockkit-html';
import { statusMessage } from '../../src/chat/status-message';
import { diagnose } from '../../src/diagnosis/diagnose';
import type { Finding } from '../../src/checks/types';
import { renderHome, renderMessage } from '../../src/slack/render';

const findings: Finding[] = [
  { check: 'redis', status: 'fail', summary: 'bot cannot reach Redis <script>alert(1)</script>', evidence: {}, durationMs: 3, ref: 'x', signals: ['redis-down'] },
  { check: 'http-liveness', status: 'ok', summary: 'GET /api/v1/health/ → 200', evidence: {}, durationMs: 2, ref: 'x' },
];
const report = { env: 'demo', startedAt: '2026-12-01T00:00:00.000Z', durationMs: 5, findings, verdict: diagnose(findings), timedOut: [] };

test('draws every block of a status answer and of a Home view', () => {
  const message = blocksHtml(renderMessage(statusMessage(report)).blocks as never[]);
  expect(message).not.toContain('class="unknown"');
  expect(message).toContain('<button class="btn primary" aria-label="Run every check on demo again">Re-run</button>');
  const home = blocksHtml(renderHome({ text: 'h', blocks: [{ type: 'header', text: 'Board' }, { type: 'divider' }, { type: 'fields', fields: [{ label: 'a', value: 'b' }] }] }).blocks as never[]);
  expect(home).not.toContain('class="unknown"');
  expect(home).toContain('<div class="header">Board</div>');
});

test('escaped text stays text', () => {
  const html = blocksHtml(renderMessage(statusMessage(report)).blocks as never[]);
  expect(html).not.toContain('<script>');
  expect(html).toContain('&lt;script&gt;');
  expect(mrkdwn('*bold* and `code` and <@U0ALICE>')).toBe('<b>bold</b> and <code>code</code> and <span class="mention">@alice</span>');
});
