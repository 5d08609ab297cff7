/**
 * "Request this fix" from where the cause is named: the status answer (private and shared) and an alert card.
 * Real Slack adapter (HTTP) before the strict stand-in, the real Doctor on a real redis-server and the demo
 * backend with DEBUG off (its connection limit enforced), the real alert service ticking a check rule.
 *
 * The probe user's connection counter is planted at 9 (a leaked counter): the verdict names
 * probe-user-connection-limit, whose fix is clear-leaked-counters <probe user id>. The status answer carries
 * that button with the id from the evidence; a press posts the same card `/ws remediate` posts, in the channel
 * the button sits in, and a second person's approval runs it once. An alert card's fix button does the same.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import { allChecks } from '../../src/checks/registry';
import type { Doctor } from '../../src/core/doctor';
import { DEMO_SERVICE_ACCOUNT } from '../../src/demo/index';
import { MemoryStateStore } from '../../src/state/memory-store';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import type { SlackHarness } from '../peers/slack-harness';

jest.setTimeout(400_000);

let bot: DemoSlackBot;
let doctor: Doctor;
let h: SlackHarness;
let cache: Redis;
let dir: string;
const uid = DEMO_SERVICE_ACCOUNT.id;
const counter = `allthrive:1:ws_connections:user:${uid}`;
const rate = `allthrive:1:ws_rate:user:${uid}`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-fixbtn-'));
  bot = await startDemoSlackBot({
    transport: 'http',
    stack: {
      backend: { debug: false, drfRatesPerMinute: { anon: 100_000, user: 100_000 } },
      config: {
        policy: {
          defaults: { request: ['U0ALICE', 'U0BOB'], approve: ['U0ALICE', 'U0BOB'] },
          // Each test requests the fix again at once: no cooldown between them (the guards have their own tests).
          actions: { 'clear-leaked-counters': { cooldownSeconds: 0, maxPerHour: 100 } },
          // A loaded CI machine can time checks out for a while: verification gets longer than its default 120 s.
          verifyDeadlineSeconds: 240,
        },
      },
    },
  });
  ({ doctor, h } = bot);
  const config = bot.stack.config;
  cache = new Redis(bot.stack.redis.url, { db: config.environments[config.defaultEnv]?.redis.dbs.cache ?? 2 });
});

afterAll(async () => {
  cache?.disconnect();
  await bot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  // Every payload the bot sent was one Slack accepts (Block Kit limits, sealed values), nothing pinged anyone.
  expect(h.standIn.refusals).toEqual([]);
  expect(h.standIn.liveMarkup).toEqual([]);
});

/** A leaked counter of the probe user (and no rate-limit history, so the refusal is the concurrency cap). */
async function leak(): Promise<void> {
  await cache.set(counter, '9', 'EX', 86400);
  await cache.del(rate);
}

const cardsFor = (re: RegExp): StoredMessage[] => h.standIn.channelMessages('C0OPS').filter((m) => re.test(visibleText(m)) && /Waiting for approval|Done and verified|Denied/.test(visibleText(m)));
const fixButton = (m: StoredMessage): boolean => JSON.stringify(m.blocks).includes(`Request clear-leaked-counters ${uid}`);

test('a private status answer offers the fix for its root cause; the press opens the approval card in the channel; a second person runs it once', async () => {
  await leak();
  await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0ALICE', channel: 'C0OPS' }));
  const answer = await waitFor(() => h.standIn.ephemerals('U0ALICE').find((m) => /connection counter is at the limit/.test(visibleText(m)) && fixButton(m)), 'the status answer with its fix button', 60_000);
  // Only the fix of the named cause: no restart offered for a leaked counter.
  expect(JSON.stringify(answer.blocks)).not.toMatch(/Request restart/);

  const before = cardsFor(/clear-leaked-counters/).length;
  await h.driver.action(h.standIn.click(answer, { kind: 'remediate' }, 'U0ALICE'));
  const card = await waitFor(() => cardsFor(/clear-leaked-counters/).slice(before)[0], 'the approval card in the channel', 30_000);
  expect(visibleText(card)).toMatch(/Waiting for approval/);
  expect(visibleText(card)).toMatch(new RegExp(`Requested by.*U0ALICE`, 's'));
  expect(visibleText(card)).toMatch(new RegExp(`ws_connections:user:${uid} — value \\d`));
  const pointer = await waitFor(() => h.standIn.ephemerals('U0ALICE').find((m) => /Posted request `r-/.test(visibleText(m))), 'the private pointer to the card');
  expect(visibleText(pointer)).toMatch(/second person|Approve/);

  // A second press by the same person within the window requests nothing more.
  await h.driver.action(h.standIn.click(answer, { kind: 'remediate' }, 'U0ALICE'));
  await h.app.idle();
  expect(cardsFor(/clear-leaked-counters/).length).toBe(before + 1);

  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  await waitFor(() => /Done and verified|Failed/.test(visibleText(card)) && card, 'the card to finish', 280_000);
  expect(visibleText(card)).toMatch(/Done and verified/);
  expect(await cache.exists(counter)).toBe(0);
  const id = /\b(r-[0-9a-f]{10})\b/.exec(visibleText(card))?.[1] ?? '';
  const steps = (await doctor.remediations.audit.tail(200)).filter((a) => a.request === id).map((a) => a.step);
  expect(steps.filter((s) => s === 'executing')).toHaveLength(1);
  expect(steps).toEqual(expect.arrayContaining(['requested', 'previewed', 'approved', 'executing', 'executed', 'verified']));
});

test('a shared status answer carries the same button; whoever presses it requests as themselves', async () => {
  await leak();
  await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0ALICE', channel: 'C0OPS' }));
  const shared = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => /connection counter is at the limit/.test(visibleText(m)) && fixButton(m)), 'the shared answer with its fix button', 60_000);
  const before = cardsFor(/clear-leaked-counters/).length;
  await h.driver.action(h.standIn.click(shared, { kind: 'remediate' }, 'U0BOB'));
  const card = await waitFor(() => cardsFor(/clear-leaked-counters/).slice(before)[0], 'the approval card', 30_000);
  expect(visibleText(card)).toMatch(new RegExp(`Requested by.*U0BOB`, 's'));
  // Bob requested it, so Bob cannot approve it; Alice denies it (nothing runs).
  await h.driver.action(h.standIn.click(card, { kind: 'approve' }, 'U0BOB'));
  await waitFor(() => h.standIn.ephemerals('U0BOB').find((m) => /second person|someone else must approve/.test(visibleText(m))), 'the self-approval refusal');
  await h.driver.action(h.standIn.click(card, { kind: 'deny' }, 'U0ALICE'));
  await waitFor(() => /Denied/.test(visibleText(card)) && card, 'the card to say denied');
  expect(await cache.get(counter)).not.toBeNull();
});

test('someone the policy does not allow to request gets a private refusal from the button, and nothing is requested', async () => {
  await leak();
  await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0EVE', channel: 'C0OPS' }));
  const answer = await waitFor(() => h.standIn.ephemerals('U0EVE').find((m) => fixButton(m)), 'Eve\'s status answer', 60_000);
  const before = (await doctor.remediations.list()).length;
  await h.driver.action(h.standIn.click(answer, { kind: 'remediate' }, 'U0EVE'));
  const refusal = await waitFor(() => h.standIn.ephemerals('U0EVE').find((m) => /Refused: only/.test(visibleText(m))), 'the refusal');
  expect(visibleText(refusal)).toMatch(/may request `clear-leaked-counters`/);
  expect((await doctor.remediations.list()).length).toBe(before);
});

test('an alert card offers its fixes as buttons; a press opens the approval card in the card\'s channel', async () => {
  await leak();
  // A few connection tokens for the flush to find (its preview must have something to do).
  for (let i = 0; i < 5; i++) await cache.set(`allthrive:1:ws_conn_token:fixbtn${i}${'x'.repeat(30)}`, '{"user_id":1}', 'EX', 600);
  writeFileSync(
    path.join(dir, 'rules.yml'),
    `groups:\n  - name: fixes\n    rules:\n      - alert: ChatHandshakeFails\n        check: chat-handshake\n        fail_after: 1\n        annotations:\n          summary: the chat handshake fails\n        remediations: [flush-connection-tokens, no-such-fix]\n`,
  );
  const loaded = loadRuleFiles([path.join(dir, 'rules.yml')], { defaultIntervalMs: 1000, checkNames: allChecks.map((c) => c.name) });
  expect(loaded.problems).toEqual([]);
  const env = doctor.defaultEnv;
  const svc = new AlertService({ store: new MemoryStateStore(), sink: h.app.incidentSink(), rules: loaded.rules, envs: [env], prometheusFor: () => undefined, checks: doctor, defaultChannel: 'C0OPS' });
  try {
    let card: StoredMessage | undefined;
    const until = Date.now() + 60_000;
    while (!card) {
      await svc.tick(env);
      await h.app.idle(5000);
      card = h.standIn.channelMessages('C0OPS').find((m) => /^Firing: /.test(m.text) && /Fix: flush-connection-tokens/.test(JSON.stringify(m.blocks)));
      if (!card && Date.now() > until) throw new Error('no firing card with a fix button');
      if (!card) await new Promise((r) => setTimeout(r, 500));
    }
    // The diagnosis named the leaked counter as the cause: its fix needs the user id, which the card lacks, so it
    // is not offered as a button that could only fail; an unknown id is not offered either.
    expect(JSON.stringify(card.blocks)).not.toMatch(/no-such-fix/);
    const before = cardsFor(/flush-connection-tokens/).length;
    await h.driver.action(h.standIn.click(card, { kind: 'remediate' }, 'U0ALICE'));
    const request = await waitFor(() => cardsFor(/flush-connection-tokens/).slice(before)[0], 'the approval card', 30_000);
    expect(visibleText(request)).toMatch(/Waiting for approval/);
    expect(visibleText(request)).toMatch(/ws_conn_token/);
    await h.driver.action(h.standIn.click(request, { kind: 'deny' }, 'U0ALICE'));
    await waitFor(() => /Denied/.test(visibleText(request)) && request, 'withdrawn');
  } finally {
    await svc.stop();
  }
});
