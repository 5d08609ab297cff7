/** Incident cards, the urgent lane, the graph and the Alertmanager intake as pure units. */
import http from 'node:http';
import { PNG } from 'pngjs';
import { alertsFromPayload, amPayload, authorized } from '../../src/alerts/alertmanager';
import { buildGraphSvg, splitThreshold, svgToPng } from '../../src/alerts/graph';
import { newState } from '../../src/alerts/state-machine';
import type { AlertState, IncidentView } from '../../src/alerts/types';
import { incidentCard, threadNoteModel } from '../../src/chat/alert-card';
import { OutboundQueue, type ApiResult } from '../../src/slack/outbound-queue';
import { renderMessage } from '../../src/slack/render';

const alert = (over: Partial<AlertState> = {}): AlertState => ({
  ...newState({ fingerprint: 'f', rule: 'RedisDown', env: 'demo', origin: 'rule', labels: { alertname: 'RedisDown' }, annotations: { summary: 'Redis <!channel> down `x`' }, severity: 'critical' }, 0),
  phase: 'firing',
  firedAt: 1000,
  ...over,
});

const view = (over: Partial<IncidentView> = {}): IncidentView => ({
  incident: { key: 'alert:demo:f', env: 'demo', title: 'Redis <!channel> down', members: ['f'], openedAt: 1000 },
  root: alert(),
  symptoms: [alert({ fingerprint: 's', rule: 'Token5xx', annotations: { summary: 'token 500s <@U0EVIL>' } })],
  status: 'firing',
  ...over,
});

test('a firing card names the cause, lists held-back symptoms, carries the buttons; nothing from the stack is markup', () => {
  const v = view({ incident: { ...view().incident, cause: { kind: 'alert', id: 'RedisDown', title: 'Redis down' } }, rootRule: undefined });
  const { model } = incidentCard(v, 61_000);
  const r = renderMessage(model);
  const json = JSON.stringify(r.blocks);
  expect(r.text).toBe('Firing: Redis &lt;!channel&gt; down (+1 held back)');
  expect(json).toMatch(/Held back — symptoms of this cause \(1\)/);
  expect(json).toMatch(/Token5xx/);
  // plain_text headers never parse markup; every mrkdwn string has it escaped.
  expect(JSON.stringify(r.blocks.filter((b) => b.type !== 'header'))).not.toMatch(/<!channel>|<@U0EVIL>/);
  expect(json).toMatch(/Root cause:\* Redis down/);
  const kinds = model.blocks.flatMap((b) => (b.type === 'actions' ? b.actions.map((a) => a.kind) : []));
  expect(kinds).toEqual(['alert-ack', 'alert-silence', 'alert-silence', 'alert-silence', 'alert-diagnose']);
});

test('resolved cards are green and button-less; acked/silenced cards say who, as mentions in the trusted note only', () => {
  const resolved = incidentCard(view({ status: 'resolved', root: alert({ phase: 'resolved', resolvedAt: 91_000 }) }), 100_000);
  expect(resolved.model.blocks[0]).toEqual({ type: 'header', text: '✅ Resolved: Redis <!channel> down' });
  expect(resolved.model.blocks.some((b) => b.type === 'actions')).toBe(false);
  const acked = incidentCard(view({ incident: { ...view().incident, ackedBy: { user: 'U0ALICE', at: 1 } } }));
  expect(acked.note).toBe('Acknowledged by <@U0ALICE>');
  const note = threadNoteModel({ kind: 'ack', text: 'Acknowledged by U0ALICE. UTC WARNING', mentions: ['U0ALICE', '<!here>'] });
  expect(renderMessage(note.model, { ...(note.note ? { note: note.note } : {}) }).blocks).toEqual([
    expect.objectContaining({ type: 'context', elements: [{ type: 'mrkdwn', text: '👀 Acknowledged by <@U0ALICE>. UTC WARNING' }] }),
  ]);
});

test('urgent calls go ahead of queued redraws in their lane, behind the one in flight', async () => {
  const order: string[] = [];
  let release: () => void = () => undefined;
  const first = new Promise<void>((r) => (release = r));
  const q = new OutboundQueue(
    {
      api: async (method, args): Promise<ApiResult> => {
        order.push(String(args.text));
        if (args.text === 'u0') await first;
        return { ok: true };
      },
      url: async () => ({ ok: true }),
    },
    { burst: 1, intervalMs: 1 },
  );
  const send = (text: string, urgent = false) => q.enqueue({ lane: 'C1', call: { type: 'api', method: 'chat.update', args: { text } }, ...(urgent ? { priority: 'urgent' as const } : {}) });
  const all = [send('u0'), send('u1'), send('u2'), send('fire1', true), send('fire2', true)];
  release();
  await Promise.all(all);
  expect(order).toEqual(['u0', 'fire1', 'fire2', 'u1', 'u2']);
});

test('graph: the threshold is split off the expression; the PNG is a valid 800×320 image with the series drawn', () => {
  expect(splitThreshold('sum(rate(x[5m])) / sum(rate(y[5m])) > 0.05')).toEqual({ expr: 'sum(rate(x[5m])) / sum(rate(y[5m]))', threshold: 0.05 });
  expect(splitThreshold('up{job="django"} == 0')).toEqual({ expr: 'up{job="django"}', threshold: 0 });
  expect(splitThreshold('absent(up)')).toEqual({ expr: 'absent(up)' });
  const svg = buildGraphSvg({ title: 'T <script>', series: [{ labels: { job: 'django' }, points: [[0, 1], [30, 8], [60, 3]] }], startS: 0, endS: 60, threshold: 5 });
  expect(svg).not.toMatch(/<script>/);
  const png = PNG.sync.read(svgToPng(svg));
  expect([png.width, png.height]).toEqual([800, 320]);
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
  expect(colours.has(0xe01e5a)).toBe(true);
  expect(colours.size).toBeGreaterThan(20);
});

test('Alertmanager payloads: alerts become states grouped by groupKey; the token is checked as Bearer, basic or ?secret', () => {
  const p = amPayload.parse({
    groupKey: 'g1',
    alerts: [
      { status: 'firing', labels: { alertname: 'A', severity: 'page' }, annotations: { summary: 's' }, startsAt: '2026-12-01T00:00:00Z' },
      { status: 'resolved', labels: { alertname: 'B' }, endsAt: '2026-12-01T00:05:00Z' },
    ],
  });
  const [a, b] = alertsFromPayload(p, 'demo', Date.parse('2026-12-01T00:10:00Z'));
  expect(a).toMatchObject({ rule: 'A', origin: 'alertmanager', phase: 'firing', severity: 'critical', firedAt: Date.parse('2026-12-01T00:00:00Z') });
  expect(b).toMatchObject({ rule: 'B', phase: 'resolved', resolvedAt: Date.parse('2026-12-01T00:05:00Z'), severity: 'warning' });
  expect(a!.labels.__group_key).toBe(b!.labels.__group_key);
  const req = (headers: Record<string, string>, url = '/alertmanager') => Object.assign(Object.create(http.IncomingMessage.prototype), { headers, url }) as http.IncomingMessage;
  expect(authorized(req({ authorization: 'Bearer tok' }), 'tok')).toBe(true);
  expect(authorized(req({ authorization: `Basic ${Buffer.from('am:tok').toString('base64')}` }), 'tok')).toBe(true);
  expect(authorized(req({}, '/alertmanager?secret=tok'), 'tok')).toBe(true);
  expect(authorized(req({ authorization: 'Bearer to' }), 'tok')).toBe(false);
  expect(authorized(req({}), 'tok')).toBe(false);
});
