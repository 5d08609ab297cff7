/**
 * Chaos area: the Socket Mode connection to Slack lost and restored, under the real Slack adapter (Bolt's
 * SocketModeReceiver) against the stand-in's apps.connections.open + WebSocket. After each loss the bot opens
 * one new connection by itself, and every command sent after it is back is answered once and run once.
 */
import type { StatusReport } from '../../src/diagnosis/types';
import { visibleText, waitFor } from '../peers/slack-api';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { sleep } from './support';

jest.setTimeout(120000);

let bot: DemoSlackBot;
let h: SlackHarness;
let reports: StatusReport[];

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'socket', standIn: { pingIntervalMs: 1000 } });
  ({ h, reports } = bot);
});

afterAll(() => bot?.stop());

const opens = (): number => h.standIn.callsTo('apps.connections.open').filter((c) => c.ok).length;

/** Wait for a new connection after `before` successful opens (and exactly one open socket). */
async function reconnected(before: number, timeoutMs = 45000): Promise<number> {
  const t0 = Date.now();
  await waitFor(() => opens() > before && h.standIn.socketCount === 1, 'a new Socket Mode connection', timeoutMs);
  return Date.now() - t0;
}

/**
 * After a restore: `n` users run `/ws status` one after another (each its own run) and `n` more ask `/ws help`
 * at once. Every answer must arrive once; the status runs must number exactly `n`.
 */
async function afterRestore(prefix: string, n: number): Promise<{ ok: boolean; text: string }> {
  const runs = reports.length;
  const problems: string[] = [];
  for (let i = 0; i < n; i++) {
    const user = `U0${prefix}S${i}`;
    await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status', user }), { timeoutMs: 15000 });
    await waitFor(() => h.standIn.ephemerals(user).find((m) => /wsd:rerun/.test(JSON.stringify(m.blocks))), `${user}'s answer`, 30000);
  }
  await Promise.all(
    Array.from({ length: n }, (_v, i) => h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'help', user: `U0${prefix}H${i}` }), { timeoutMs: 15000 })),
  );
  await h.app.idle(30000);
  await sleep(300);
  for (let i = 0; i < n; i++) {
    for (const [user, want] of [
      [`U0${prefix}S${i}`, /wsd:rerun/],
      [`U0${prefix}H${i}`, /\/ws status/],
    ] as const) {
      const got = h.standIn.ephemerals(user);
      if (got.length !== 1) problems.push(`${user}: ${got.length} answers`);
      else if (!want.test(JSON.stringify(got[0]?.blocks) + visibleText(got[0] ?? { text: '', blocks: [] }))) problems.push(`${user}: not the answer`);
    }
  }
  const ran = reports.length - runs;
  if (ran !== n) problems.push(`${ran} status runs for ${n} commands`);
  return { ok: problems.length === 0, text: problems.length ? problems.slice(0, 4).join('; ') : `${n} status + ${n} help answered once each, ${ran} runs` };
}

chaosRow('Slack drops the Socket Mode WebSocket (no close frame)', 'one new connection by itself; commands after it answered once, run once', async () => {
  const before = opens();
  h.standIn.dropSockets();
  const ms = await reconnected(before);
  const r = await afterRestore('DROP', 3);
  return observe(`reconnected in ${ms} ms (${h.standIn.socketCount} socket); ${r.text}`, r.ok && h.standIn.socketCount === 1);
});

chaosRow('Slack asks to refresh (disconnect: refresh_requested, then close)', 'one new connection; commands after it answered once, run once', async () => {
  const before = opens();
  h.standIn.refreshSockets();
  const ms = await reconnected(before);
  const r = await afterRestore('REFRESH', 3);
  return observe(`reconnected in ${ms} ms (${h.standIn.socketCount} socket); ${r.text}`, r.ok && h.standIn.socketCount === 1);
});

chaosRow('WebSocket dropped and Slack unreachable (apps.connections.open 503) for 3 s', 'keeps retrying, reconnects once Slack is back; commands answered once', async () => {
  const before = opens();
  h.standIn.setDown(true);
  h.standIn.dropSockets();
  await sleep(3000);
  const whileDown = h.standIn.socketCount;
  h.standIn.setDown(false);
  const ms = await reconnected(before, 60000);
  const r = await afterRestore('DOWN', 2);
  return observe(`${whileDown} socket while down; reconnected ${ms} ms after Slack was back; ${r.text}`, whileDown === 0 && r.ok && h.standIn.socketCount === 1);
});

chaosRow('WebSocket dropped while a shared status run is in flight', 'the answer still arrives, once (it goes out over the Web API)', async () => {
  const runs = reports.length;
  await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status share', user: 'U0INFLIGHT' }));
  const before = opens();
  h.standIn.dropSockets();
  await reconnected(before);
  const msg = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => /U0INFLIGHT/.test(visibleText(m)) && /wsd:rerun/.test(JSON.stringify(m.blocks))), 'the shared answer', 30000);
  await h.app.idle(30000);
  const n = h.standIn.channelMessages('C0OPS').filter((m) => /U0INFLIGHT/.test(visibleText(m))).length;
  void msg;
  return observe(`${n} shared answer(s), ${reports.length - runs} run(s)`, n === 1 && reports.length - runs === 1);
});
