/**
 * A remediation whose channel is gone: the real Slack adapter (HTTP) before the strict stand-in, which answers
 * `is_archived` / `not_in_channel` / `channel_not_found` as Slack does and implements conversations.open (scope
 * im:write). Real Doctor on a real redis-server and the demo backend.
 *
 * The card moves to the requester's direct messages, the approver gets a copy in theirs, both are kept up to
 * date to the end; the request is approved by typing (the buttons' channel is gone), runs exactly once, and the
 * audit chain holds.
 */
import Redis from 'ioredis';
import type { Doctor } from '../../src/core/doctor';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import type { SlackHarness } from '../peers/slack-harness';

// Verification re-runs the checks until they pass (up to 120 s): on a loaded machine that can take a while.
jest.setTimeout(400_000);

let bot: DemoSlackBot;
let doctor: Doctor;
let h: SlackHarness;
let cache: Redis;

beforeAll(async () => {
  bot = await startDemoSlackBot({
    transport: 'http',
    // A loaded CI machine can time checks out for a while: verification gets longer than its default 120 s.
    stack: { config: { policy: { verifyDeadlineSeconds: 240, actions: { 'clear-leaked-counters': { cooldownSeconds: 0, maxPerHour: 100 } } } } },
    standIn: {
      channels: [
        { id: 'C0OPS', name: 'ops', member: true },
        { id: 'C0INCIDENT', name: 'incident-42', member: true },
        { id: 'C0NOBOT', name: 'no-bot-here', member: false },
      ],
    },
  });
  ({ doctor, h } = bot);
  const config = bot.stack.config;
  cache = new Redis(bot.stack.redis.url, { db: config.environments[config.defaultEnv]?.redis.dbs.cache ?? 2 });
});

afterAll(async () => {
  cache?.disconnect();
  await bot?.stop();
});

afterEach(() => expect(h.standIn.liveMarkup).toEqual([]));

const dm = (user: string): StoredMessage[] => {
  const channel = h.standIn.dmChannelOf(user);
  return channel ? h.standIn.channelMessages(channel) : [];
};
const idOf = (m: StoredMessage): { id: string; preview: string } => ({
  id: /\b(r-[0-9a-f]{10})\b/.exec(visibleText(m))?.[1] ?? '',
  preview: /\b(p-[0-9a-f]{12})\b/.exec(visibleText(m))?.[1] ?? '',
});

async function executions(id: string): Promise<number> {
  return (await doctor.remediations.audit.tail(500)).filter((a) => a.request === id && a.step === 'executing').length;
}

test('the channel is archived while the request waits: requester and approver are told by DM, it runs once', async () => {
  await cache.set('allthrive:1:ws_connections:user:301', '8', 'EX', 3600);
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 301', user: 'U0ALICE', channel: 'C0INCIDENT' }));
  const card = await waitFor(() => h.standIn.channelMessages('C0INCIDENT').find((m) => /user:301/.test(visibleText(m))), 'the card in the channel', 30_000);
  const { id, preview } = idOf(card);
  expect(id).toMatch(/^r-/);

  h.standIn.loseChannel('C0INCIDENT', 'archived');
  // Bob approves by typing, from another channel (the card's buttons are in the archived one).
  const approve = h.standIn.slashCommand({ text: `remediate approve ${id} ${preview}`, user: 'U0BOB', channel: 'C0OPS' });
  await h.driver.command(approve);
  await h.driver.command(approve); // Slack redelivers the same command
  const mine = await waitFor(() => dm('U0ALICE').find((m) => /Done and verified/.test(visibleText(m))), "the requester's DM to say done", 280_000);
  expect(visibleText(mine)).toMatch(/channel `C0INCIDENT` this request was in is gone \(is_archived\)/);
  expect(visibleText(mine)).toMatch(/approved by .*U0BOB/);
  const bobs = await waitFor(() => dm('U0BOB').find((m) => /Done and verified/.test(visibleText(m))), "the approver's DM to say done", 30_000);
  expect(visibleText(bobs)).toMatch(/is gone \(is_archived\)/);
  await h.app.idle();
  // One card per person (kept up to date in place), before/after in the requester's thread.
  expect(dm('U0ALICE')).toHaveLength(1);
  expect(dm('U0BOB')).toHaveLength(1);
  expect(h.standIn.thread(mine.channel, mine.ts).map((m) => visibleText(m)).join('\n')).toMatch(/Before → after/);
  expect(h.standIn.callsTo('conversations.open').every((c) => c.ok)).toBe(true);
  expect(await cache.exists('allthrive:1:ws_connections:user:301')).toBe(0);
  expect(await executions(id)).toBe(1);
  const stored = await doctor.remediations.get(id);
  expect(stored).toMatchObject({ state: 'succeeded', lostChannel: { channel: 'C0INCIDENT', error: 'is_archived' }, message: { channel: mine.channel, ts: mine.ts } });
  expect(await doctor.remediations.audit.verify()).toMatchObject({ ok: true });
});

test('requested where the bot cannot post (not_in_channel): the card goes to the requester by DM, with the typed approval hint', async () => {
  await cache.set('allthrive:1:ws_connections:user:302', '8', 'EX', 3600);
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 302', user: 'U0ALICE', channel: 'C0NOBOT' }));
  const mine = await waitFor(() => dm('U0ALICE').find((m) => /user:302/.test(visibleText(m))), "the card in the requester's DM", 30_000);
  expect(visibleText(mine)).toMatch(/channel `C0NOBOT` this request was in is gone \(not_in_channel\)/);
  expect(visibleText(mine)).toMatch(/An approver can type `\/ws remediate approve r-/);
  // The requester can still withdraw it from there; here Carol approves it by typing instead.
  const { id, preview } = idOf(mine);
  await h.driver.command(h.standIn.slashCommand({ text: `remediate approve ${id} ${preview}`, user: 'U0CAROL', channel: 'C0OPS' }));
  await waitFor(() => /Done and verified/.test(visibleText(mine)) && mine, 'the DM card to say done', 280_000);
  const carols = await waitFor(() => dm('U0CAROL').find((m) => /user:302/.test(visibleText(m)) && /Done and verified/.test(visibleText(m))), "the approver's copy", 30_000);
  expect(visibleText(carols)).toMatch(/approved by .*U0CAROL/);
  expect(await executions(id)).toBe(1);
});

test('the channel is deleted after approval: the final state still reaches both people', async () => {
  await cache.set('allthrive:1:ws_connections:user:303', '8', 'EX', 3600);
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 303', user: 'U0ALICE', channel: 'C0OPS' }));
  const card = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => /user:303/.test(visibleText(m))), 'the card', 30_000);
  const { id } = idOf(card);
  // Bob presses Approve; the channel is deleted at once, while the engine runs and redraws the card.
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  h.standIn.loseChannel('C0OPS', 'deleted');
  for (const until = Date.now() + 280_000; (await doctor.remediations.get(id))?.state !== 'succeeded'; ) {
    if (Date.now() > until) throw new Error(`the request did not succeed: ${JSON.stringify(await doctor.remediations.get(id))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await h.app.idle();
  const everywhere = [...dm('U0ALICE'), ...h.standIn.channelMessages('C0OPS')].filter((m) => new RegExp(id).test(visibleText(m)));
  expect(everywhere.some((m) => /Done and verified/.test(visibleText(m)))).toBe(true);
  // Either the last redraw landed before the deletion, or the card moved: whichever, the story is there once per person.
  const stored = await doctor.remediations.get(id);
  if (stored?.lostChannel) {
    expect(stored.lostChannel).toEqual({ channel: 'C0OPS', error: 'channel_not_found' });
    expect(dm('U0BOB').find((m) => new RegExp(id).test(visibleText(m)) && /Done and verified/.test(visibleText(m)))).toBeDefined();
  }
  expect(await executions(id)).toBe(1);
});
