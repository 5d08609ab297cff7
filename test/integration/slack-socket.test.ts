/**
 * Socket Mode against the stand-in's apps.connections.open + WebSocket: envelopes acked by envelope_id at once,
 * redelivered events not run twice, a dropped connection re-established, and an outage of Slack's Web API
 * ridden out by the outbound queue without losing the answer.
 */
import { visibleText, waitFor } from '../peers/slack-api';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';

jest.setTimeout(60000);

let bot: DemoSlackBot;
let h: SlackHarness;

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'socket', standIn: { pingIntervalMs: 1000 } });
  h = bot.h;
});

afterAll(() => bot?.stop());

const isAnswer = (blocks: unknown[]) => /wsd:rerun/.test(JSON.stringify(blocks));

it('opened the connection with the app-level token (never the bot token)', () => {
  const opens = h.standIn.callsTo('apps.connections.open');
  expect(opens.length).toBeGreaterThanOrEqual(1);
  expect(opens.every((c) => c.ok)).toBe(true);
  expect(h.standIn.socketCount).toBe(1);
});

it('acks every envelope type by envelope_id, quickly, with no payload for runs', async () => {
  const cmd = await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status', user: 'U0SOCK' }));
  const click = await h.standIn.push('interactive', {
    type: 'block_actions',
    user: { id: 'U0SOCK', username: 'u0sock' },
    team: { id: 'T0STANDIN', domain: 'standin' },
    api_app_id: 'A0WSDOCTOR',
    trigger_id: h.standIn.issueTrigger('U0SOCK'),
    container: { type: 'view', view_id: 'V0HOMEU0SOCK' },
    actions: [{ type: 'button', action_id: 'wsd:unknown-kind:1', block_id: 'b', value: 'x', action_ts: '1' }],
  });
  const event = await h.standIn.push('events_api', h.standIn.appHomeOpened('U0SOCK'));
  for (const a of [cmd, click, event]) {
    expect(a.latencyMs).toBeLessThan(500);
    expect(a.payload === undefined || Object.keys(a.payload as object).length === 0).toBe(true);
  }
  const m = await waitFor(() => h.standIn.ephemerals('U0SOCK')[0], 'the answer');
  await waitFor(() => isAnswer(m.blocks), 'the final answer', 20000);
  await waitFor(() => h.standIn.homeViews.get('U0SOCK'), 'the Home tab');
});

it('does not run a redelivered event twice (same event_id, retry_attempt 1 and 2)', async () => {
  const ev = h.standIn.appHomeOpened('U0RE');
  await h.standIn.push('events_api', ev);
  await h.app.idle();
  const n = h.standIn.homeViews.get('U0RE')?.publishes;
  expect(n).toBe(1);
  await h.standIn.push('events_api', ev, { retryAttempt: 1, retryReason: 'timeout' });
  await h.standIn.push('events_api', ev, { retryAttempt: 2, retryReason: 'timeout' });
  await h.app.idle();
  expect(h.standIn.homeViews.get('U0RE')?.publishes).toBe(1);
});

it('rides out a Web API outage: the answer is delivered once Slack is back', async () => {
  h.standIn.setDown(true);
  const recover = setTimeout(() => h.standIn.setDown(false), 1500);
  try {
    const ack = await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status share', user: 'U0OUT' }));
    expect(ack.latencyMs).toBeLessThan(500);
    const m = await waitFor(() => h.standIn.channelMessages('C0OPS').find((x) => /Requested by <@U0OUT>/.test(visibleText(x))), 'the answer after the outage', 20000);
    await waitFor(() => isAnswer(m.blocks), 'the final answer', 20000);
    expect(h.standIn.calls.some((c) => c.status === 503)).toBe(true);
    expect(h.app.stats().failed).toBe(0);
  } finally {
    clearTimeout(recover);
    h.standIn.setDown(false);
  }
});

it('reconnects when Slack drops the WebSocket', async () => {
  const opensBefore = h.standIn.callsTo('apps.connections.open').length;
  h.standIn.dropSockets();
  await waitFor(() => h.standIn.callsTo('apps.connections.open').length > opensBefore && h.standIn.socketCount === 1, 'a new connection', 20000);
  const a = await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'help', user: 'U0BACK' }));
  expect(a.latencyMs).toBeLessThan(500);
  const m = await waitFor(() => h.standIn.ephemerals('U0BACK')[0], 'help after reconnecting');
  expect(m.via).toBe('ack');
  expect(visibleText(m)).toMatch(/\/ws status/);
});
