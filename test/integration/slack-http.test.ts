/**
 * HTTP mode, driven by signed requests exactly as Slack sends them. A request with a bad signature, a stale
 * timestamp or a future one gets 401 and runs nothing: no Web API call, no response_url post, no Doctor run.
 */
import querystring from 'node:querystring';
import type { StatusReport } from '../../src/diagnosis/types';
import type { Doctor } from '../../src/core/doctor';
import { visibleText, waitFor } from '../peers/slack-api';
import { FORM, postEvent, postInteraction, postRaw, postSlashCommand, signedHeaders, slackSignature } from '../peers/slack-drivers';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';

let bot: DemoSlackBot;
let h: SlackHarness;
let doctor: Doctor;
let reports: StatusReport[];

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'http' });
  ({ h, doctor, reports } = bot);
});

afterAll(() => bot?.stop());

/** Everything Slack-facing that happened since `mark` (auth.test at start-up excluded). */
function activitySince(mark: number) {
  return {
    api: h.standIn.calls.slice(mark).map((c) => c.method),
    responseUrls: h.standIn.responseUrlCalls.length,
    reports: reports.length,
  };
}

async function expectNothingRan(send: () => Promise<{ status: number }>, reason?: RegExp): Promise<void> {
  const apiMark = h.standIn.calls.length;
  const before = { responseUrls: h.standIn.responseUrlCalls.length, reports: reports.length, refused: h.refused.length };
  const res = await send();
  expect(res.status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  await h.app.idle();
  expect(activitySince(apiMark)).toEqual({ api: [], responseUrls: before.responseUrls, reports: before.reports });
  expect(doctor.lastReport('demo')).toBeUndefined();
  if (reason) expect(h.refused.slice(before.refused).join('\n')).toMatch(reason);
}

const now = () => Math.floor(Date.now() / 1000);

describe('request signing', () => {
  it('refuses a bad signature', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status' });
    await expectNothingRan(() => postSlashCommand(h.botUrl ?? '', cmd, { secret: 'not-the-signing-secret' }));
    await expectNothingRan(() => postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret, signature: 'v0=' + '0'.repeat(64) }));
  });

  it('refuses a body changed after signing', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status' });
    const body = querystring.stringify(cmd);
    const headers = signedHeaders(body, FORM, { secret: h.signingSecret });
    await expectNothingRan(() => postRaw(h.botUrl ?? '', body.replace('status', 'help__'), headers));
  });

  it('refuses a missing signature or timestamp', async () => {
    const body = querystring.stringify(h.standIn.slashCommand({ text: 'status' }));
    await expectNothingRan(() => postRaw(h.botUrl ?? '', body, { 'content-type': FORM, 'x-slack-request-timestamp': String(now()) }));
    await expectNothingRan(() => postRaw(h.botUrl ?? '', body, { 'content-type': FORM, 'x-slack-signature': slackSignature(h.signingSecret, now(), body) }));
  });

  it('refuses a stale timestamp (> 5 min old), even correctly signed', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status' });
    await expectNothingRan(() => postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret, timestamp: now() - 301 }), /old/);
  });

  it('refuses a future timestamp (> 5 min ahead), even correctly signed (Bolt alone would accept it)', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status' });
    // 330 s, not 301: the server reads its clock after ours, and if the second ticks over in between, now()+301 is
    // exactly 300 s ahead by its clock, which is inside the window (seen on a loaded CI machine).
    await expectNothingRan(() => postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret, timestamp: now() + 330 }), /future/);
    const click = { type: 'block_actions', user: { id: 'U1', username: 'u1' }, actions: [{ type: 'button', action_id: 'wsd:rerun:1', value: 'demo' }], container: { type: 'message', channel_id: 'C0OPS', message_ts: '1.1', is_ephemeral: true }, trigger_id: 't', response_url: h.standIn.issueResponseUrl('C0OPS', 'U1'), team: { id: 'T0STANDIN' } };
    await expectNothingRan(() => postInteraction(h.botUrl ?? '', click, { secret: h.signingSecret, timestamp: now() + 3600 }), /future/);
    await expectNothingRan(() => postEvent(h.botUrl ?? '', h.standIn.appHomeOpened('U1'), { secret: h.signingSecret, timestamp: now() + 600 }), /future/);
  });

  it('handles a correctly signed request within the window (4 min old is fine)', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0SIGNED' });
    const res = await postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret, timestamp: now() - 240 });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const m = await waitFor(() => h.standIn.ephemerals('U0SIGNED')[0], 'the answer');
    await waitFor(() => /wsd:rerun/.test(JSON.stringify(m.blocks)) && m, 'the final answer', 20000);
    expect(visibleText(m)).toMatch(/demo/);
    expect(reports.length).toBe(1);
  });

  it('answers Slack’s url_verification challenge and the health probe, and 404s other paths', async () => {
    const r = await postEvent(h.botUrl ?? '', { type: 'url_verification', challenge: 'c-123', token: 'x' }, { secret: h.signingSecret });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ challenge: 'c-123' });
    const health = await fetch(`http://127.0.0.1:${h.app.port}/healthz`);
    expect(health.status).toBe(200);
    const other = await postRaw(`http://127.0.0.1:${h.app.port}/admin`, '{}', { 'content-type': 'application/json' });
    expect(other.status).toBe(404);
  });
});
