/** The Slack stand-in refuses what Slack would refuse; otherwise the other Slack tests prove little. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import WebSocket from 'ws';
import { silentSlackLogger, startSlackStandIn, REPO_ROOT, type SlackStandIn } from '../peers/slack-api';

const { WebClient } = webApi;

let s: SlackStandIn;
beforeAll(async () => {
  s = await startSlackStandIn();
});
afterAll(async () => {
  await s.close();
});

const client = (token: string) => new WebClient(token, { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: silentSlackLogger });
const errorOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { data?: { error?: string }; code?: string; retryAfter?: number };
    return err.data?.error ?? (err.code === 'slack_webapi_rate_limited_error' ? `429:${err.retryAfter}` : (err.code ?? 'unknown'));
  }
};
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Slack stand-in: Web API', () => {
  it('checks the token', async () => {
    expect(await errorOf(client('').auth.test())).toBe('not_authed');
    expect(await errorOf(client('xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(await errorOf(client(s.appToken).auth.test())).toBe('not_allowed_token_type');
    expect(await errorOf(client(s.botToken).apps.connections.open())).toBe('not_allowed_token_type');
    await expect(client(s.botToken).auth.test()).resolves.toMatchObject({ ok: true, user_id: s.botUserId, bot_id: s.botId });
  });

  it('validates messages against the Block Kit limits', async () => {
    const c = client(s.botToken);
    await expect(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [section('hello')] })).resolves.toMatchObject({ ok: true });
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: Array.from({ length: 51 }, () => section('x')) }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [section('x'.repeat(3001))] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }))).toBe('invalid_blocks');
    const button = (action_id: string, text = 'ok', value = 'v') => ({ type: 'button' as const, action_id, text: { type: 'plain_text' as const, text }, value });
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [button('wsd:rerun:1', 'x'.repeat(76))] }] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [button('rerun')] }] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [button('wsd:a:1'), button('wsd:a:1')] }] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [button('wsd:a:1', 'ok', 'v'.repeat(2001))] }] }))).toBe('invalid_blocks');
    const labelled = (accessibility_label: unknown) => ({ ...button('wsd:a:1'), accessibility_label });
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [labelled('l'.repeat(76))] }] } as never))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [labelled({ type: 'plain_text', text: 'x' })] }] } as never))).toBe('invalid_blocks');
    await expect(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'actions', elements: [labelled('Run every check again')] }] } as never)).resolves.toMatchObject({ ok: true });
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ ...section('a'), block_id: 'b' }, { ...section('b'), block_id: 'b' }] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }))).toBe('invalid_blocks');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'x'.repeat(40001) }))).toBe('msg_too_long');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', blocks: [section('no fallback')] } as never))).toBe('no_text');
    const last = s.refusals.at(-1);
    expect(last?.error).toBe('no_text');
  });

  it('answers channel and message errors as Slack does', async () => {
    const c = client(s.botToken);
    expect(await errorOf(c.chat.postMessage({ channel: 'C0NOPE', text: 'hi' }))).toBe('channel_not_found');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0NOBOT', text: 'hi' }))).toBe('not_in_channel');
    expect(await errorOf(c.chat.update({ channel: 'C0OPS', ts: '1.000001', text: 'hi' }))).toBe('message_not_found');
    const posted = await c.chat.postMessage({ channel: 'C0OPS', text: 'v1' });
    await expect(c.chat.update({ channel: 'C0OPS', ts: posted.ts as string, text: 'v2' })).resolves.toMatchObject({ ok: true });
    expect(s.channelMessages('C0OPS').find((m) => m.ts === posted.ts)?.versions.map((v) => v.text)).toEqual(['v1', 'v2']);
    expect(await errorOf(c.apiCall('files.upload', {}))).toBe('unknown_method');
  });

  it('injects 429 with Retry-After and Slack errors on demand', async () => {
    const c = client(s.botToken);
    s.rateLimit('chat.postMessage', 7);
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi' }))).toBe('429:7');
    s.fail('chat.postMessage', 'internal_error');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi' }))).toBe('internal_error');
    await expect(c.chat.postMessage({ channel: 'C0OPS', text: 'hi' })).resolves.toMatchObject({ ok: true });
  });

  it('enforces trigger_id expiry and one use for views.open', async () => {
    const c = client(s.botToken);
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Details' }, blocks: [section('x')] };
    const trig = s.issueTrigger('U1');
    await expect(c.views.open({ trigger_id: trig, view })).resolves.toMatchObject({ ok: true });
    expect(await errorOf(c.views.open({ trigger_id: trig, view }))).toBe('exchanged_trigger_id');
    expect(await errorOf(c.views.open({ trigger_id: 'nope', view }))).toBe('invalid_trigger_id');
    expect(await errorOf(c.views.open({ trigger_id: s.issueTrigger('U1'), view: { ...view, title: { type: 'plain_text', text: 't'.repeat(25) } } }))).toBe('invalid_arguments');
    expect(await errorOf(c.views.publish({ user_id: 'U1', view: { type: 'home', blocks: Array.from({ length: 101 }, () => section('x')) } }))).toBe('invalid_arguments');
  });

  it('modals with inputs: input blocks only in modals and with a submit; submissions as the client sends them; acks checked', async () => {
    const c = client(s.botToken);
    const input = (id: string, optional = false) => ({ type: 'input', block_id: id, optional, label: { type: 'plain_text', text: id }, element: { type: 'plain_text_input', action_id: `wsd:field:${id}:0`, max_length: 10 } });
    const form = { type: 'modal' as const, callback_id: 'wsd-form:x', title: { type: 'plain_text' as const, text: 'Form' }, submit: { type: 'plain_text' as const, text: 'Go' }, blocks: [input('a'), input('b', true)] };
    // An input in a message, or a modal with inputs and no submit button: refused.
    expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'x', blocks: [input('a')] as never }))).toBe('invalid_blocks');
    expect(await errorOf(c.views.open({ trigger_id: s.issueTrigger('U1'), view: { ...form, submit: undefined } as never }))).toBe('invalid_arguments');
    const opened = (await c.views.open({ trigger_id: s.issueTrigger('U1'), view: form as never })) as { view: { id: string } };
    const id = opened.view.id;
    // The client refuses what Slack's client would never send: someone else submitting, a required input empty, too long.
    expect(() => s.submitView(id, 'U2', { a: 'x' })).toThrow(/opened for U1/);
    expect(() => s.submitView(id, 'U1', { b: 'x' })).toThrow(/input a is required/);
    expect(() => s.submitView(id, 'U1', { a: 'x'.repeat(11) })).toThrow(/max_length/);
    const p = s.submitView(id, 'U1', { a: 'hello' }) as { type: string; view: { state: { values: Record<string, Record<string, { value: string | null }>> } } };
    expect(p.type).toBe('view_submission');
    expect(p.view.state.values).toEqual({ a: { 'wsd:field:a:0': { type: 'plain_text_input', value: 'hello' } }, b: { 'wsd:field:b:0': { type: 'plain_text_input', value: null } } });
    // Errors only for the view's input block_ids; a valid errors ack keeps it open, an empty one closes it.
    const before = s.refusals.length;
    s.acceptViewAck(id, { response_action: 'errors', errors: { nope: 'x' } });
    expect(s.refusals.slice(before).map((r) => r.error)).toEqual(['invalid_ack']);
    s.refusals.splice(before);
    s.acceptViewAck(id, JSON.stringify({ response_action: 'errors', errors: { a: 'Not a length' } }));
    expect(s.modals.get(id)).toMatchObject({ errors: { a: 'Not a length' } });
    expect(s.modals.get(id)?.closed).toBeFalsy();
    s.acceptViewAck(id, '');
    expect(s.modals.get(id)?.closed).toBe(true);
    expect(() => s.submitView(id, 'U1', { a: 'x' })).toThrow(/closed/);
  });

  it('refuses methods whose scope the manifest does not declare', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-manifest-'));
    const file = path.join(dir, 'manifest.yml');
    fs.writeFileSync(file, fs.readFileSync(path.join(REPO_ROOT, 'manifest.yml'), 'utf8').replace('      - chat:write\n', ''));
    const narrow = await startSlackStandIn({ manifestPath: file });
    try {
      const c = new WebClient(narrow.botToken, { slackApiUrl: narrow.apiUrl, retryConfig: { retries: 0 }, logger: silentSlackLogger });
      expect(await errorOf(c.chat.postMessage({ channel: 'C0OPS', text: 'hi' }))).toBe('missing_scope');
    } finally {
      await narrow.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Slack stand-in: response_url', () => {
  const postJson = (url: string, body: object) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('creates, replaces and deletes the message; at most 5 uses', async () => {
    const cmd = s.slashCommand({ text: 'status', user: 'U0BOB' });
    expect((await postJson(cmd.response_url, { text: 'checking…' })).status).toBe(200);
    expect((await postJson(cmd.response_url, { text: 'answer', replace_original: true })).status).toBe(200);
    const mine = s.ephemerals('U0BOB');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.versions.map((v) => v.text)).toEqual(['checking…', 'answer']);
    const bad = await postJson(cmd.response_url, { text: 'x', blocks: [{ type: 'bogus' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_blocks');
    expect((await postJson(cmd.response_url, { text: 'x', replace_original: true })).status).toBe(200);
    expect((await postJson(cmd.response_url, { delete_original: true })).status).toBe(200);
    expect(s.ephemerals('U0BOB')).toHaveLength(0);
    const sixth = await postJson(cmd.response_url, { text: 'one too many' });
    expect(sixth.status).toBe(404);
    expect(((await sixth.json()) as { error: string }).error).toBe('used_url');
  });
});

describe('Slack stand-in: Socket Mode', () => {
  it('opens a connection with the app token, says hello, and times acks', async () => {
    const opened = await client(s.appToken).apps.connections.open();
    const ws = new WebSocket(opened.url as string);
    const hello = await new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    expect(hello.type).toBe('hello');
    ws.on('message', (d) => {
      const env = JSON.parse(String(d)) as { envelope_id: string };
      ws.send(JSON.stringify({ envelope_id: env.envelope_id }));
    });
    const ack = await s.push('events_api', s.appHomeOpened('U1'));
    expect(ack.latencyMs).toBeGreaterThan(0);
    expect(s.acks).toHaveLength(1);
    ws.close();
    // A ticket is good for one connection.
    const again = new WebSocket(opened.url as string);
    const failed = await new Promise<boolean>((resolve) => {
      again.once('error', () => resolve(true));
      again.once('open', () => resolve(false));
    });
    expect(failed).toBe(true);
  });
});
