import type { MessageAction, MessageModel } from '../../src/chat/model';
import { statusMessage } from '../../src/chat/status-message';
import type { StatusReport } from '../../src/diagnosis/types';
import {
  LIMITS,
  clip,
  mrkdwnEscape,
  parseActionId,
  refFromBlockId,
  renderHome,
  renderMessage,
  renderModal,
  splitText,
  trustedNote,
} from '../../src/slack/render';
import { liveMarkup, validateMessage, validateView } from '../peers/slack-blocks';

function report(n: number, summary = 'fine'): StatusReport {
  return {
    env: 'local',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 812,
    timedOut: [],
    findings: Array.from({ length: n }, (_, i) => ({
      check: `check-${i}`,
      status: i % 3 === 0 ? 'fail' : 'ok',
      summary,
      evidence: { latencyMs: i, note: 'x'.repeat(50) },
      durationMs: 10 + i,
      ref: 'guide §1',
    })),
    verdict: {
      overall: 'down',
      headline: 'Redis is unreachable — token endpoint 500 and chat 403 follow from it',
      rootCause: {
        id: 'redis-down',
        title: 'Redis down',
        why: 'PING failed',
        explains: ['check-0'],
        nextStep: 'Start Redis',
        remediations: ['restart-redis'],
        ref: 'guide §2',
        severity: 'down',
      },
      otherCauses: [],
      explainedBy: { 'check-3': 'redis-down' },
    },
  };
}

describe('renderMessage', () => {
  it('renders a status answer Slack accepts, with wsd:<kind>:<n> buttons carrying the values', () => {
    const r = renderMessage(statusMessage(report(12)), { ref: 'abc123' });
    expect(validateMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
    const actions = r.blocks.filter((b) => b.type === 'actions');
    expect(actions).toHaveLength(1);
    const els = (actions[0] as { elements: Array<{ action_id: string; value: string }>; block_id: string }).elements;
    // The root cause (redis-down) offers its fix as the fourth button.
    expect(els.map((e) => e.action_id)).toEqual(['wsd:rerun:1', 'wsd:details:2', 'wsd:share:3', 'wsd:remediate:4']);
    expect(els.slice(0, 3).every((e) => e.value === '{"env":"local"}')).toBe(true); // unsealed here: the adapters seal (chat/actions/seal.ts)
    expect(els[3]?.value).toBe('{"env":"local","action":"restart-redis"}');
    expect(refFromBlockId((actions[0] as { block_id: string }).block_id)).toBe('abc123');
    expect(r.text).toContain('local');
    expect(JSON.stringify(r.blocks)).toContain('explained by');
  });

  it('gives every button an accessibility_label saying what it does (status message and App Home)', () => {
    const buttons = (blocks: unknown[]) =>
      (blocks as Array<{ type: string; elements?: Array<{ accessibility_label?: string; text: { text: string } }> }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
    const status = buttons(renderMessage(statusMessage(report(3))).blocks);
    expect(status.map((b) => b.accessibility_label)).toEqual([
      'Run every check on local again',
      'Show the evidence behind each check',
      'Post this answer to the channel for everyone',
      'Preview Restart Redis and ask for approval',
    ]);
    // A model action without one still gets a label (its visible text), never an empty one.
    const bare = buttons(renderMessage({ text: 't', blocks: [{ type: 'actions', actions: [{ kind: 'rerun', label: 'Go', value: 'v' }] }] }).blocks);
    expect(bare[0]?.accessibility_label).toBe('Go');
  });

  it('maps any MessageAction (future remediation kinds too) to a unique button, with confirm and style', () => {
    const actions: MessageAction[] = [
      { kind: 'remediate:restart-web', label: 'Restart web', value: 'local|restart-web', style: 'danger', confirm: { title: 'Restart web?', text: 'This restarts the web container.', confirm: 'Restart', deny: 'Cancel' } },
      { kind: 'approve', label: 'Approve', value: 'req-1', style: 'primary' },
      { kind: 'approve', label: 'Approve again', value: 'req-2' },
    ];
    const r = renderMessage({ text: 'fixes', blocks: [{ type: 'actions', actions }] });
    expect(validateMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
    const els = (r.blocks[0] as unknown as { elements: Array<Record<string, unknown>> }).elements;
    expect(els.map((e) => e.action_id)).toEqual(['wsd:remediate:restart-web:1', 'wsd:approve:2', 'wsd:approve:3']);
    expect(parseActionId('wsd:remediate:restart-web:1')).toEqual({ kind: 'remediate:restart-web', n: 1 });
    expect(els[0]?.confirm).toMatchObject({ style: 'danger' });
  });

  it('keeps every limit: 50 blocks, 3000-char sections, 10 fields, 150-char header, 75-char labels, 2000-char values', () => {
    const model: MessageModel = {
      text: 'y'.repeat(50000),
      blocks: [
        { type: 'header', text: 'H'.repeat(400) },
        { type: 'text', text: 'z'.repeat(9000) },
        { type: 'fields', fields: Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(2500) })) },
        { type: 'code', text: Array.from({ length: 2000 }, (_, i) => `line ${i} ${'q'.repeat(60)}`).join('\n') },
        ...Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `para ${i}` })),
        { type: 'context', text: 'footer' },
        {
          type: 'actions',
          actions: [
            { kind: 'rerun', label: 'L'.repeat(200), value: 'ok' },
            { kind: 'details', label: 'too big', value: 'v'.repeat(2001) },
            ...Array.from({ length: 30 }, (_, i) => ({ kind: 'x', label: `b${i}`, value: String(i) })),
          ],
        },
      ],
      details: { text: 'd', blocks: [] },
    };
    const r = renderMessage(model);
    expect(r.truncated).toBe(true);
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(r.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(validateMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
    const json = JSON.stringify(r.blocks);
    expect(json).toContain('more blocks not shown');
    expect(json).toContain('behind *Details*');
    expect(json).toContain('omitted'); // the 2001-char value could not be a button
    // The buttons survive the cut (they are how people act on the message).
    expect(r.blocks.filter((b) => b.type === 'actions').length).toBe(2);
  });

  it('redacts secrets and escapes mrkdwn: model text is never markup, not even a mention', () => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
    const r = renderMessage({
      text: `token ${token}`,
      blocks: [
        { type: 'text', text: `GET /ws/chat/?connection_token=${token} → <html> & more` },
        { type: 'code', text: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz\n```' },
        { type: 'context', text: 'Requested by <@U0ALICE> in <#C0OPS|ops>' },
      ],
    });
    const json = JSON.stringify(r);
    expect(json).not.toContain(token);
    expect(json).not.toContain('eyJzdWIiOiIxIn0');
    expect(json).toContain('[REDACTED]');
    expect(json).toContain('&lt;html&gt; &amp; more');
    expect(json).toContain('&lt;@U0ALICE&gt;');
    expect(json).toContain('&lt;#C0OPS|ops&gt;');
    expect(validateMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
  });

  it('omits kinds on request and adds a note above the buttons', () => {
    const r = renderMessage(statusMessage(report(2)), { omitKinds: ['share'], note: 'Posted by <@U1>' });
    const json = JSON.stringify(r.blocks);
    expect(json).not.toContain('wsd:share');
    const idx = r.blocks.findIndex((b) => b.type === 'actions');
    expect(JSON.stringify(r.blocks[idx - 1])).toContain('Posted by <@U1>');
  });

  it('never sends an empty text object', () => {
    const r = renderMessage({ text: '', blocks: [{ type: 'text', text: '   ' }, { type: 'header', text: '' }, { type: 'checks', rows: [] }] });
    expect(validateMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
  });
});

describe('views', () => {
  it('renders a modal within 100 blocks with a ≤24-char title', () => {
    const details: MessageModel = { text: 'd', blocks: Array.from({ length: 180 }, (_, i) => ({ type: 'code' as const, text: `evidence ${i}` })) };
    const v = renderModal(details, { title: 'Details for a very long environment name' });
    expect(validateView(v, 'modal')).toBeUndefined();
    expect(v.blocks.length).toBeLessThanOrEqual(LIMITS.viewBlocks);
  });

  it('renders a home view', () => {
    const v = renderHome(statusMessage(report(40)));
    expect(validateView(v, 'home')).toBeUndefined();
  });
});

describe('text helpers', () => {
  it('clip never splits a surrogate pair and marks the cut', () => {
    const s = '✅'.repeat(10) + '😀'.repeat(10);
    const c = clip(s, 15);
    expect(c.length).toBeLessThanOrEqual(15);
    expect(c.endsWith('…')).toBe(true);
    expect(() => encodeURIComponent(c)).not.toThrow();
  });

  it('splitText keeps lines together and respects the limit', () => {
    const parts = splitText(['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(25)].join('\n'), 12);
    expect(parts.every((p) => p.length <= 12)).toBe(true);
    expect(parts.join('')).toBe('a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(25));
  });

  it('mrkdwnEscape escapes every &, < and > (an already-escaped entity shows as typed)', () => {
    expect(mrkdwnEscape('a < b & c > d <@U1> &lt;!here&gt;')).toBe('a &lt; b &amp; c &gt; d &lt;@U1&gt; &amp;lt;!here&amp;gt;');
  });

  it('a note keeps only well-formed user mentions live', () => {
    expect(trustedNote('Posted by <@U0ALICE> <!channel> <http://x|y> <@U1|a>')).toBe('Posted by <@U0ALICE> &lt;!channel&gt; &lt;http://x|y&gt; &lt;@U1|a&gt;');
  });

  it('untrusted text cannot break out of a code span or open one', () => {
    const r = renderMessage({ text: 't', blocks: [{ type: 'checks', rows: [{ status: 'fail', name: 'x`y', summary: 'a ` *b* <!here>', durationMs: 1, explainedBy: 'r`<!channel>' }] }] });
    const line = JSON.stringify(r.blocks);
    expect(liveMarkup({ blocks: r.blocks })).toEqual([]);
    expect((line.match(/`/g) ?? []).length).toBe(2);
  });
});

describe('control characters from the stack never reach Slack', () => {
  it('escape sequences, C0/C1 controls and bidi overrides are taken out of every mrkdwn and plain text', () => {
    const hostile = 'up \u001b[31mred\u001b[0m \u001b]0;title\u0007 \u0000 invoice\u202Efdp.exe';
    const r = renderMessage(statusMessage(report(2, hostile)));
    const strings: string[] = [];
    JSON.stringify(r.blocks, (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
    expect(strings.some((s) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s))).toBe(false);
    expect(strings.join('\n')).toContain('up red');
    expect(trustedNote('Posted by <@U1> \u001b[2J')).toBe('Posted by <@U1> ');
  });
});
