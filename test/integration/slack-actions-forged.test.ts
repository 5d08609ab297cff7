/**
 * Button values cannot be forged, over either transport. A request can be validly signed by Slack and still
 * carry a value the bot never made (any workspace member can craft one): every such press is refused with a
 * private answer to the presser, and nothing runs — no Doctor run, no channel post, no message update.
 * The real Doctor on a real redis-server and the demo backend; the strict Slack stand-in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionSeal } from '../../src/chat/actions/seal';
import { parseConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import type { StatusReport } from '../../src/diagnosis/types';
import { loadActionKey } from '../../src/state/action-key';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';

let redis: RedisProcess;
let backend: DemoBackend;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
});

afterAll(async () => {
  await backend?.stop();
  await redis?.stop();
});

type Click = Record<string, unknown> & { actions: Array<Record<string, unknown>> };

describe.each(['http', 'socket'] as const)('forged button values over %s', (transport) => {
  let doctor: Doctor;
  let h: SlackHarness;
  let stateDir: string;
  let answer: StoredMessage;
  const reports: StatusReport[] = [];
  const user = `U0EVE${transport.toUpperCase()}`;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-forged-'));
    const config = demoConfig(parseConfig({}), backend, redis.url);
    doctor = Doctor.create(config, { stateDir: null, onReport: (r) => reports.push(r) });
    h = await startSlackHarness({ transport, config, doctor, stateDir });
    await h.driver.command(h.standIn.slashCommand({ text: 'status', user }));
    const m = await waitFor(() => h.standIn.ephemerals(user)[0], 'the answer');
    answer = await waitFor(() => /wsd:share/.test(JSON.stringify(m.blocks)) && m, 'the final answer', 20000);
    await h.app.idle();
  });

  afterAll(async () => {
    await h?.stop();
    await doctor?.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const click = (kind: string): Click => h.standIn.click(answer, { kind }, user) as Click;
  const valueOf = (kind: string): string => String(click(kind).actions[0]?.value);
  const withValue = (c: Click, value: string): Click => ({ ...c, actions: [{ ...c.actions[0], value }] });

  /** Delivers the press and expects exactly one private refusal and no other effect at all. */
  async function expectRefused(payload: Click, reason: RegExp): Promise<void> {
    const before = {
      reports: reports.length,
      channel: h.standIn.channelMessages('C0OPS').length,
      updates: h.standIn.callsTo('chat.update').length,
      posts: h.standIn.callsTo('chat.postMessage').length,
      modals: h.standIn.modals.size,
      private: h.standIn.ephemerals(user).length,
      answerVersions: answer.versions.length,
    };
    const d = await h.driver.action(payload);
    expect(d.status).toBe(200); // Slack-signed and acked: the refusal is about the value, not the request
    const reply = await waitFor(() => h.standIn.ephemerals(user)[before.private], 'the private refusal');
    await h.app.idle();
    expect(visibleText(reply)).toMatch(/refused: nothing was run/);
    expect(visibleText(reply)).toMatch(reason);
    expect({
      reports: reports.length,
      channel: h.standIn.channelMessages('C0OPS').length,
      updates: h.standIn.callsTo('chat.update').length,
      posts: h.standIn.callsTo('chat.postMessage').length,
      modals: h.standIn.modals.size,
      private: h.standIn.ephemerals(user).length,
      answerVersions: answer.versions.length,
    }).toEqual({ ...before, private: before.private + 1 });
  }

  it('a plain value of the old `env|check` kind (what a forger would type) is refused', async () => {
    await expectRefused(withValue(click('share'), 'demo'), /not sealed by this bot/);
    await expectRefused(withValue(click('rerun'), 'demo|redis'), /not sealed by this bot/);
  });

  it('a real value with one byte of its payload changed is refused', async () => {
    const [v, payload = '', mac] = valueOf('rerun').split('~');
    const flipped = payload.slice(0, 5) + (payload[5] === 'A' ? 'B' : 'A') + payload.slice(6);
    await expectRefused(withValue(click('rerun'), [v, flipped, mac].join('~')), /signature/);
  });

  it('a real value lifted onto another action is refused (the MAC binds the action id)', async () => {
    await expectRefused(withValue(click('share'), valueOf('details')), /signature/);
  });

  it('an oversized value is refused before it is even decoded', async () => {
    await expectRefused(withValue(click('details'), valueOf('details') + 'A'.repeat(5000)), /at most 2000/);
  });

  it('a validly sealed value that fails the action schema is refused', async () => {
    const seal = new ActionSeal(loadActionKey(stateDir).key);
    await expectRefused(withValue(click('rerun'), seal.seal('rerun', { env: 'demo; FLUSHALL' })), /does not fit `rerun`/);
    await expectRefused(withValue(click('rerun'), seal.seal('rerun', { env: 'demo', extra: 1 })), /does not fit `rerun`/);
  });

  it('the genuine button still works (Details opens the evidence of the run shown, no new run)', async () => {
    const runs = reports.length;
    await h.driver.action(click('details'));
    await waitFor(() => h.standIn.modals.size === 1, 'the evidence modal');
    await h.app.idle();
    expect(visibleText([...h.standIn.modals.values()][0]?.view ?? {})).toMatch(/Evidence — demo/);
    expect(reports.length).toBe(runs);
  });
});
