/**
 * Chaos area: Slack's Web API misbehaving under the real Slack adapter (its outbound queue, its WebClient) —
 * HTTP 500s, 429 storms with Retry-After, calls that hang. Whatever Slack does, every answer arrives exactly once,
 * no call of a rate-limited method goes out before its Retry-After has passed, the bot keeps answering other
 * users, and the queue is empty again afterwards (nothing left behind, nothing piling up).
 */
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { sleep } from './support';

jest.setTimeout(120000);

const CHANNELS = ['C0OPS', 'C0DEV', 'C0SRE'];

let bot: DemoSlackBot;
let h: SlackHarness;

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'http', standIn: { channels: CHANNELS.map((id) => ({ id, name: id.toLowerCase() })) } });
  h = bot.h;
});

afterAll(() => bot?.stop());

const isFinal = (m: StoredMessage): boolean => /wsd:rerun/.test(JSON.stringify(m.blocks));

/** The shared answers posted for `user` in `channel` (any version naming them: "Requested by <@U…>"). */
const sharedFor = (user: string, channel: string): StoredMessage[] =>
  h.standIn.channelMessages(channel).filter((m) => m.versions.some((v) => JSON.stringify(v).includes(`<@${user}>`)));

/** Everyone's answers are final: `n` private answers and `n` shared ones, each exactly once. */
interface Tally {
  privateOnce: number;
  sharedOnce: number;
  duplicates: string[];
  missing: string[];
}

function tally(users: string[]): Tally {
  const t: Tally = { privateOnce: 0, sharedOnce: 0, duplicates: [], missing: [] };
  users.forEach((u, i) => {
    const priv = h.standIn.ephemerals(u);
    const shared = sharedFor(`${u}S`, CHANNELS[i % CHANNELS.length] ?? 'C0OPS');
    if (priv.length === 1 && priv[0] && isFinal(priv[0])) t.privateOnce++;
    else if (priv.length > 1) t.duplicates.push(`${u}: ${priv.length} private`);
    else t.missing.push(`${u} private`);
    if (shared.length === 1 && shared[0] && isFinal(shared[0])) t.sharedOnce++;
    else if (shared.length > 1) t.duplicates.push(`${u}S: ${shared.length} shared`);
    else t.missing.push(`${u}S shared`);
  });
  return t;
}

/** `n` users each ask privately, and `n` more share to one of three channels; resolves once all are final. */
async function crowd(prefix: string, n: number, timeoutMs = 90000): Promise<{ users: string[]; t: Tally; peakPending: number }> {
  const users = Array.from({ length: n }, (_v, i) => `U0${prefix}${i}`);
  let peakPending = 0;
  const sampler = setInterval(() => (peakPending = Math.max(peakPending, h.app.stats().pending)), 20);
  try {
    await Promise.all(
      users.flatMap((u, i) => [
        h.driver.command(h.standIn.slashCommand({ text: 'status', user: u })),
        h.driver.command(h.standIn.slashCommand({ text: 'status share', user: `${u}S`, channel: CHANNELS[i % CHANNELS.length] ?? 'C0OPS' })),
      ]),
    );
    await waitFor(() => tally(users).privateOnce + tally(users).sharedOnce === 2 * n || tally(users).duplicates.length > 0, 'every answer', timeoutMs).catch(() => undefined);
    await h.app.idle(30000);
    await sleep(300);
    return { users, t: tally(users), peakPending };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Calls of `method` sent while a 429's Retry-After (1 s) was still running (ms early, each):
 * - in the same channel (one call in flight per channel): the next call after the 429 — its retry — must wait;
 * - in any channel (Slack's limits are per method): calls more than 100 ms after the 429 (those within 100 ms
 *   were already on their way when it was answered: up to 16 calls are in flight across channels).
 * 50 ms of slack for timer granularity.
 */
function earlyAfter429(method: string, since: number): number[] {
  const calls = h.standIn.callsTo(method).filter((c) => c.at >= since);
  const early: number[] = [];
  calls.forEach((c, i) => {
    if (c.status !== 429) return;
    const until = c.at + 1000 - 50;
    const sameLane = calls.slice(i + 1).find((n) => n.args.channel === c.args.channel);
    if (sameLane && sameLane.at < until) early.push(until - sameLane.at);
    for (const n of calls.slice(i + 1)) if (n.at > c.at + 100 && n.at < until) early.push(until - n.at);
  });
  return early;
}

const describeTally = (t: Tally, n: number): string =>
  `${t.privateOnce}/${n} private + ${t.sharedOnce}/${n} shared answers once${t.duplicates.length ? `; twice: ${t.duplicates.slice(0, 3).join(', ')}` : ''}${t.missing.length ? `; missing: ${t.missing.slice(0, 3).join(', ')}` : ''}`;

chaosRow('Slack answers HTTP 500 to 4 chat.* calls and 502 to 4 response_url posts', 'retried: every answer once, none failed, queue empty', async () => {
  const before = h.app.stats();
  h.standIn.fail('chat.postMessage', 500, 2);
  h.standIn.fail('chat.update', 500, 2);
  h.standIn.fail('response_url', 502, 4);
  const { t } = await crowd('FIVE', 4);
  const after = h.app.stats();
  const errors = h.standIn.allCalls.filter((c) => c.status >= 500).length;
  return observe(
    `${describeTally(t, 4)}; ${errors} 5xx answers seen, ${after.retried - before.retried} retries, ${after.failed - before.failed} failed, ${after.pending} pending`,
    t.privateOnce === 4 && t.sharedOnce === 4 && after.failed === before.failed && after.pending === 0 && errors >= 8,
  );
});

chaosRow(
  '429 storm: 8 chat.postMessage + 8 chat.update + 8 response_url calls answer 429 Retry-After: 1 while 12 users ask',
  'no call before its Retry-After; every answer once; queue drains',
  async () => {
    const since = Date.now();
    const before = h.app.stats();
    h.standIn.rateLimit('chat.postMessage', 1, 8);
    h.standIn.rateLimit('chat.update', 1, 8);
    h.standIn.rateLimit('response_url', 1, 8);
    const { t, peakPending } = await crowd('STORM', 12);
    const after = h.app.stats();
    const limited = h.standIn.allCalls.filter((c) => c.at >= since && c.status === 429).length;
    const early = [...earlyAfter429('chat.postMessage', since), ...earlyAfter429('chat.update', since)];
    return observe(
      `${describeTally(t, 12)}; ${limited} 429s, ${after.rateLimited - before.rateLimited} counted; ${early.length ? `${early.length} call(s) sent up to ${Math.max(...early)} ms early` : 'none sent early'}; peak ${peakPending} pending, ${after.pending} left, ${after.failed - before.failed} failed`,
      t.privateOnce === 12 && t.sharedOnce === 12 && limited === 24 && early.length === 0 && after.pending === 0 && after.failed === before.failed,
    );
  },
  150000,
);

chaosRow(
  'chat.postMessage hangs (read, never answered) while another user asks privately',
  'the hung call times out and is retried: the shared answer posted once; the other user answered meanwhile',
  async () => {
    const before = h.app.stats();
    h.standIn.hang('chat.postMessage', 1);
    const t0 = Date.now();
    await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0HUNG', channel: 'C0DEV' }));
    await sleep(500);
    await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0OTHER' }));
    const other = await waitFor(() => h.standIn.ephemerals('U0OTHER').find(isFinal), "the other user's answer", 30000);
    const otherMs = Date.now() - t0;
    const shared = await waitFor(() => sharedFor('U0HUNG', 'C0DEV').find(isFinal), 'the shared answer after the hang', 60000);
    const sharedMs = Date.now() - t0;
    await h.app.idle(30000);
    const n = sharedFor('U0HUNG', 'C0DEV').length;
    const hung = h.standIn.callsTo('chat.postMessage').filter((c) => c.status === 0).length;
    const after = h.app.stats();
    void other;
    void shared;
    return observe(
      `${hung} call hung; other user answered after ${otherMs} ms; shared answer after ${sharedMs} ms, posted ${n}×; ${after.retried - before.retried} retries, ${after.failed - before.failed} failed`,
      hung >= 1 && n === 1 && after.failed === before.failed && otherMs < sharedMs,
    );
  },
  120000,
);

chaosRow('a response_url post hangs', 'timed out and retried: the private answer arrives once', async () => {
  const before = h.app.stats();
  h.standIn.hang('response_url', 1);
  await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0HUNGURL' }));
  const m = await waitFor(() => h.standIn.ephemerals('U0HUNGURL').find(isFinal), 'the private answer after the hang', 60000);
  await h.app.idle(30000);
  const hung = h.standIn.responseUrlCalls.filter((c) => c.status === 0).length;
  const after = h.app.stats();
  void m;
  return observe(
    `${hung} post hung; ${h.standIn.ephemerals('U0HUNGURL').length} private answer; ${after.retried - before.retried} retries, ${after.failed - before.failed} failed`,
    hung >= 1 && h.standIn.ephemerals('U0HUNGURL').length === 1 && after.failed === before.failed,
  );
}, 120000);
