/**
 * Slack user groups (`S…`) in the policy, through the real Slack adapter (HTTP) and the strict stand-in, which
 * implements usergroups.users.list and enforces its scope (usergroups:read) from the manifest. Real Doctor on a
 * real redis-server and the demo backend.
 *
 * - Approvers are "@oncall" = user group S0ONCALL (Bob); the command is limited to group S0OPS (Alice, Bob, Carol).
 * - Members are looked up once per TTL, not per press; a person removed from the group loses the right after it.
 * - A lookup Slack refuses (the scope withdrawn: missing_scope) denies with that reason, and grants nothing.
 */
import Redis from 'ioredis';
import type { Doctor } from '../../src/core/doctor';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import type { SlackHarness } from '../peers/slack-harness';

jest.setTimeout(400_000);

let bot: DemoSlackBot;
let doctor: Doctor;
let h: SlackHarness;
let cache: Redis;
let n = 100;

beforeAll(async () => {
  bot = await startDemoSlackBot({
    transport: 'http',
    stack: {
      config: {
        policy: {
          groups: { oncall: ['S0ONCALL'] },
          commands: { remediate: ['S0OPS'] },
          defaults: { request: ['*'], approve: ['@oncall'] },
          actions: { 'clear-leaked-counters': { cooldownSeconds: 0, maxPerHour: 100 } },
          userGroupCacheSeconds: 2,
          // A loaded CI machine can time checks out for a while: verification gets longer than its default 120 s.
          verifyDeadlineSeconds: 240,
        },
      },
    },
  });
  ({ doctor, h } = bot);
  h.standIn.setUserGroup('S0ONCALL', ['U0BOB']);
  h.standIn.setUserGroup('S0OPS', ['U0ALICE', 'U0BOB', 'U0CAROL']);
  const config = bot.stack.config;
  cache = new Redis(bot.stack.redis.url, { db: config.environments[config.defaultEnv]?.redis.dbs.cache ?? 2 });
});

afterAll(async () => {
  cache?.disconnect();
  await bot?.stop();
});

const lookups = (): number => h.standIn.callsTo('usergroups.users.list').length;

/** Alice requests clearing a fresh user's counters; the card in the channel. */
async function requestCard(): Promise<{ card: StoredMessage; user: number }> {
  const user = ++n;
  await cache.set(`allthrive:1:ws_connections:user:${user}`, '8', 'EX', 3600);
  await h.driver.command(h.standIn.slashCommand({ text: `remediate clear-leaked-counters ${user}`, user: 'U0ALICE', channel: 'C0OPS' }));
  const card = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => new RegExp(`ws_connections:user:${user}\\b`).test(visibleText(m))), `the card for user ${user}`, 30_000);
  return { card, user };
}

test('a member of the approver group approves; a non-member is refused by name of the group; lookups are cached', async () => {
  const { card, user } = await requestCard();
  const before = lookups();
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0CAROL'));
  const refusal = await waitFor(() => h.standIn.ephemerals('U0CAROL').find((m) => /only @oncall may approve/.test(visibleText(m))), 'Carol refused');
  expect(visibleText(refusal)).not.toMatch(/could not be checked/);
  expect(await cache.get(`allthrive:1:ws_connections:user:${user}`)).toBe('8');
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  await waitFor(() => /Done and verified|Failed/.test(visibleText(card)) && card, 'the card to finish', 280_000);
  expect(visibleText(card)).toMatch(/Done and verified · approved by .*U0BOB/);
  expect(await cache.exists(`allthrive:1:ws_connections:user:${user}`)).toBe(0);
  // Within the TTL, Carol's and Bob's presses (and the command before them) asked Slack at most once per group.
  expect(lookups() - before).toBeLessThanOrEqual(2);
  expect(h.standIn.callsTo('usergroups.users.list').every((c) => c.ok)).toBe(true);
});

test('someone outside the command\'s group cannot run /ws remediate at all', async () => {
  const before = (await doctor.remediations.list()).length;
  await h.driver.command(h.standIn.slashCommand({ text: 'remediate clear-leaked-counters 5', user: 'U0EVE', channel: 'C0OPS' }));
  const refusal = await waitFor(() => h.standIn.ephemerals('U0EVE').find((m) => /Not allowed/.test(visibleText(m))), 'Eve refused');
  expect(visibleText(refusal)).toMatch(/`remediate` is limited to S0OPS/);
  expect((await doctor.remediations.list()).length).toBe(before);
});

test('removed from the group, a person loses the right once the cached membership expires', async () => {
  const { card, user } = await requestCard();
  h.standIn.setUserGroup('S0ONCALL', ['U0DAVE']);
  await new Promise((r) => setTimeout(r, 2500)); // the 2 s TTL passes
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  await waitFor(() => h.standIn.ephemerals('U0BOB').find((m) => /only @oncall may approve/.test(visibleText(m))), 'Bob refused now');
  expect(await cache.get(`allthrive:1:ws_connections:user:${user}`)).toBe('8');
  h.standIn.setUserGroup('S0ONCALL', ['U0BOB']);
  await h.driver.action(h.standIn.click(card, { kind: 'deny' }, 'U0ALICE'));
  await waitFor(() => /Denied/.test(visibleText(card)) && card, 'withdrawn');
});

test('a lookup Slack refuses (scope withdrawn) denies, saying why; nothing runs', async () => {
  const { card, user } = await requestCard();
  const scopes = h.standIn.manifest.scopes;
  h.standIn.manifest = { ...h.standIn.manifest, scopes: scopes.filter((s) => s !== 'usergroups:read') };
  try {
    await new Promise((r) => setTimeout(r, 2500)); // Bob's cached membership expires
    await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
    const refusal = await waitFor(() => h.standIn.ephemerals('U0BOB').find((m) => /could not be checked/.test(visibleText(m))), 'Bob refused, fail-closed');
    expect(visibleText(refusal)).toMatch(/user group S0ONCALL could not be checked \(usergroups\.users\.list .*missing_scope\)/);
    await h.app.idle();
    expect(await cache.get(`allthrive:1:ws_connections:user:${user}`)).toBe('8');
    expect(visibleText(card)).toMatch(/Waiting for approval/);
    expect(h.standIn.refusals.some((r) => r.where === 'usergroups.users.list' && r.error === 'missing_scope')).toBe(true);
  } finally {
    h.standIn.manifest = { ...h.standIn.manifest, scopes };
  }
  // Slack answers again: Bob approves (the failure was remembered only briefly).
  await new Promise((r) => setTimeout(r, 5500));
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  await waitFor(() => /Done and verified|Failed/.test(visibleText(card)) && card, 'the card to finish', 280_000);
  expect(await cache.exists(`allthrive:1:ws_connections:user:${user}`)).toBe(0);
});
