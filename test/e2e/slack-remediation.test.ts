/**
 * A remediation through Slack end to end: the real Slack adapter (HTTP), the strict stand-in, the real Doctor on
 * a real redis-server and the demo backend. `/ws remediate clear-leaked-counters 42` posts a card in the
 * channel; the requester's own Approve is refused privately; a second person's Approve runs it once, the card
 * turns into the decision (no buttons left) with the result, before/after lands in the thread; a second click
 * executes nothing; a card deleted from Slack is posted afresh when its request changes.
 */
import Redis from 'ioredis';
import type { Doctor } from '../../src/core/doctor';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import type { SlackHarness } from '../peers/slack-harness';

jest.setTimeout(90000);

let bot: DemoSlackBot;
let doctor: Doctor;
let h: SlackHarness;
let cache: Redis;

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'http', stack: { config: { policy: { commands: { remediate: ['U0ALICE', 'U0BOB'] } } } } });
  ({ doctor, h } = bot);
  const config = bot.stack.config;
  cache = new Redis(bot.stack.redis.url, { db: config.environments[config.defaultEnv]?.redis.dbs.cache ?? 2 });
});

afterAll(async () => {
  cache?.disconnect();
  await bot?.stop();
});

const cards = (): StoredMessage[] => h.standIn.channelMessages('C0OPS').filter((m) => !m.threadTs && /clear-leaked-counters|Clear one user/.test(visibleText(m)));

test('request → self-approval refused → second person approves → executed once, card tells the story', async () => {
  await cache.set('allthrive:1:ws_connections:user:42', '7', 'EX', 86400);
  await cache.set('allthrive:1:ws_rate:user:42', '2', 'EX', 60);
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 42', user: 'U0ALICE', channel: 'C0OPS' }));
  const pointer = await waitFor(() => h.standIn.ephemerals('U0ALICE').find((m) => /Posted request `r-/.test(visibleText(m))), 'the pointer to the card');
  expect(visibleText(pointer)).toMatch(/second person|Approve/);
  const card = await waitFor(() => cards()[0], 'the card in the channel');
  expect(visibleText(card)).toMatch(/Waiting for approval/);
  expect(visibleText(card)).toMatch(/ws_connections:user:42 — value 7/);
  expect(JSON.stringify(card.blocks)).toMatch(/wsd:approve/);

  // The requester approves their own request: refused privately, card unchanged, nothing deleted.
  const versions = card.versions.length;
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0ALICE'));
  const refusal = await waitFor(() => h.standIn.ephemerals('U0ALICE').find((m) => /someone else must approve/.test(visibleText(m))), 'the self-approval refusal');
  expect(visibleText(refusal)).toMatch(/nothing more was done|nothing was run/i);
  await h.app.idle();
  expect(card.versions.length).toBe(versions);
  expect(await cache.get('allthrive:1:ws_connections:user:42')).toBe('7');

  // Bob approves; Slack retries that delivery; Bob double-clicks (a fresh trigger, as Slack sends it).
  const click = h.standIn.click(card, { kind: 'approve' }, 'U0BOB');
  const second = h.standIn.click(card, { kind: 'approve' }, 'U0BOB');
  await h.driver.action(click);
  await h.driver.action(click);
  await h.driver.action(second);
  await waitFor(() => /Done and verified/.test(visibleText(card)) && card, 'the card to say done', 30000);
  await h.app.idle();
  expect(await cache.exists('allthrive:1:ws_connections:user:42', 'allthrive:1:ws_rate:user:42')).toBe(0);
  expect(visibleText(card)).toMatch(/approved by .*U0BOB/);
  expect(visibleText(card)).toMatch(/deleted 2 counter keys of user 42/);
  expect(JSON.stringify(card.blocks)).not.toMatch(/wsd:approve|wsd:deny/);
  const thread = await waitFor(() => h.standIn.thread('C0OPS', card.ts)[0], 'before/after in the thread');
  expect(visibleText(thread)).toMatch(/ws-counters\s+before .* after/);
  const executions = (await doctor.remediations.audit.tail(50)).filter((a) => a.step === 'executing');
  expect(executions).toHaveLength(1);
  expect(await doctor.remediations.audit.verify()).toMatchObject({ ok: true });
  expect(h.standIn.liveMarkup).toEqual([]);
});

test('a person the policy does not allow to run /ws remediate is refused, and nothing is requested', async () => {
  const before = (await doctor.remediations.list()).length;
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 42', user: 'U0EVE', channel: 'C0OPS' }));
  const refusal = await waitFor(() => h.standIn.ephemerals('U0EVE')[0], 'the refusal');
  expect(visibleText(refusal)).toMatch(/Not allowed: `remediate` is limited to/);
  expect((await doctor.remediations.list()).length).toBe(before);
});

test('a card Slack no longer has is posted afresh when its request changes', async () => {
  await cache.set('allthrive:1:ws_connections:user:77', '9');
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 77', user: 'U0ALICE', channel: 'C0OPS' }));
  const card = await waitFor(() => cards().find((m) => /user:77/.test(visibleText(m))), 'the card');
  card.deleted = true; // someone deleted it in Slack
  await h.driver.action(h.standIn.click(card, { kind: 'deny' }, 'U0BOB'));
  const fresh = await waitFor(() => cards().find((m) => m !== card && !m.deleted && /user:77/.test(visibleText(m)) && /Denied/.test(visibleText(m))), 'a fresh card saying denied');
  expect(visibleText(fresh)).toMatch(/Denied · by .*U0BOB/);
  const id = /\b(r-[0-9a-f]{10})\b/.exec(visibleText(fresh))?.[1] ?? '';
  await h.app.idle();
  expect((await doctor.remediations.get(id))?.message?.ts).toBe(fresh.ts);
  expect(await cache.get('allthrive:1:ws_connections:user:77')).toBe('9');
});
