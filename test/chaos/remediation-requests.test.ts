/**
 * Chaos area: requesting fixes from buttons and judging people by Slack user groups. A fix button whose value
 * carries hostile arguments is refused before anything runs; Slack failing, refusing or hanging on
 * usergroups.users.list denies (never grants) and says why; a remediation card whose channel vanishes in each
 * of Slack's three ways (archived, deleted, the bot removed) moves to direct messages and the fix runs once
 * (the real Slack adapter before the stand-in, a real redis-server).
 */
import { randomBytes } from 'node:crypto';
import { press } from '../../src/chat/actions/press';
import { ActionSeal } from '../../src/chat/actions/seal';
import type { ActionContext } from '../../src/chat/actions/types';
import { policySchema } from '../../src/config/policy-schema';
import { Policy } from '../../src/remediations/policy';
import { allActions } from '../../src/remediations/registry';
import { OutboundQueue, type ApiResult, type Transport } from '../../src/slack/outbound-queue';
import { UserGroupDirectory } from '../../src/slack/user-groups';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { MemoryStateStore } from '../../src/state/memory-store';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { visibleText, waitFor } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';

const seal = new ActionSeal(randomBytes(32));

chaosRow('a fix button sealed with hostile arguments (`--dry-run`, `*`, `<!channel>`, five words)', 'refused by its schema before any command runs', async () => {
  const ran: string[] = [];
  const refusals: string[] = [];
  const ctx = (): ActionContext => ({
    doctor: {} as ActionContext['doctor'],
    surface: 'slack',
    prefix: '/ws',
    user: { id: 'U0ALICE' },
    place: 'channel',
    channel: 'C0OPS',
    runCommand: async (t) => (ran.push(t), { text: t, blocks: [] }),
    progress: () => undefined,
  });
  for (const args of [['--dry-run'], ['*'], ['<!channel>'], ['1', '2', '3', '4', '5'], ['a b']]) {
    const value = seal.seal('remediate', { env: 'local', action: 'clear-leaked-counters', args });
    const out = await press({ actionId: 'wsd:remediate:4', value }, ctx, { seal, log: { warn: () => undefined } });
    if (!out.ok) refusals.push(out.refusal.text);
  }
  return observe(`${refusals.length}/5 refused; commands run: ${ran.length}`, refusals.length === 5 && ran.length === 0);
});

/** A Slack that answers usergroups.users.list the way `answer` says (the queue and directory are the real ones). */
function directory(answer: () => Promise<ApiResult>): { dir: UserGroupDirectory; queue: OutboundQueue } {
  const transport: Transport = { api: () => answer(), url: () => answer() };
  const queue = new OutboundQueue(transport, { intervalMs: 1, baseBackoffMs: 50, maxBackoffMs: 100, maxRetryMs: 300 });
  return { dir: new UserGroupDirectory(queue, { ttlMs: 60_000 }), queue };
}

const policy = new Policy(policySchema.parse({ actions: { 'restart-backend': { approve: ['S0ONCALL'] } } }), allActions);
const subject = { action: 'restart-backend', requester: { id: 'U0ALICE' }, previewId: 'p1', digest: 'd1', expiresAt: Date.now() + 600_000 };

for (const [fault, answer] of [
  ['Slack refuses the lookup (missing_scope)', async (): Promise<ApiResult> => Promise.reject(Object.assign(new Error('An API error occurred: missing_scope'), { data: { ok: false, error: 'missing_scope' } }))],
  ['Slack answers HTTP 500 to the lookup', async (): Promise<ApiResult> => Promise.reject(Object.assign(new Error('HTTP 500'), { statusCode: 500 }))],
  ['Slack never answers the lookup', (): Promise<ApiResult> => new Promise(() => undefined)],
  ['Slack answers the lookup without a user list', async (): Promise<ApiResult> => ({ ok: true })],
] as const) {
  chaosRow(`usergroups.users.list: ${fault}`, 'the approver is denied, the refusal names the group and why; nothing is granted', async () => {
    const { dir, queue } = directory(answer);
    try {
      const who = await dir.principal({ id: 'U0BOB' }, policy.userGroups(), 500);
      const d = policy.mayApprove(subject, who, { previewId: 'p1', digest: 'd1' }, Date.now());
      const reason = d.ok ? 'GRANTED' : d.reason;
      return observe(reason.slice(0, 160), !d.ok && /S0ONCALL could not be checked/.test(reason));
    } finally {
      await queue.close(0);
    }
  });
}

describe('a remediation card whose channel vanishes', () => {
  let redis: RedisProcess;
  let doctor: Doctor;
  let h: SlackHarness;
  let cache: Redis;
  let user = 900;

  beforeAll(async () => {
    redis = await startRedisServer();
    const config = parseConfig({
      environments: { local: { redis: { url: redis.url }, docker: { enabled: false }, prometheus: { enabled: false } } },
      policy: { verifyDeadlineSeconds: 240, actions: { 'clear-leaked-counters': { cooldownSeconds: 0, maxPerHour: 100 } } },
    });
    doctor = Doctor.create(config, { stateDir: null, stateStore: new MemoryStateStore() });
    h = await startSlackHarness({
      transport: 'http',
      config,
      doctor,
      standIn: { channels: ['C0OPS', 'C0ARCH', 'C0DEL', 'C0KICK'].map((id) => ({ id, name: id.toLowerCase(), member: true })) },
    });
    cache = new Redis(redis.url, { db: 2 });
  }, 60_000);

  afterAll(async () => {
    cache?.disconnect();
    await h?.stop();
    await doctor?.close();
    await redis?.stop();
  });

  for (const [how, channel] of [
    ['archived', 'C0ARCH'],
    ['deleted', 'C0DEL'],
    ['kicked', 'C0KICK'],
  ] as const) {
    chaosRow(`the channel of a pending remediation card is ${how === 'kicked' ? 'left by the bot (removed)' : how}`, "requester and approver get the card by DM, kept to the end; it runs once", async () => {
      const u = ++user;
      await cache.set(`allthrive:1:ws_connections:user:${u}`, '8', 'EX', 3600);
      await h.driver.command(h.standIn.slashCommand({ text: `remediate clear-leaked-counters ${u} --env local`, user: 'U0ALICE', channel }));
      const card = await waitFor(() => h.standIn.channelMessages(channel).find((m) => new RegExp(`user:${u}\\b`).test(visibleText(m))), 'the card', 30_000);
      const id = /\b(r-[0-9a-f]{10})\b/.exec(visibleText(card))?.[1] ?? '';
      const preview = /\b(p-[0-9a-f]{12})\b/.exec(visibleText(card))?.[1] ?? '';
      h.standIn.loseChannel(channel, how);
      await h.driver.command(h.standIn.slashCommand({ text: `remediate approve ${id} ${preview} --env local`, user: 'U0BOB', channel: 'C0OPS' }));
      const dmOf = (who: string): string => {
        const c = h.standIn.dmChannelOf(who);
        return c ? h.standIn.channelMessages(c).filter((m) => m.text.includes('clear-leaked-counters') || visibleText(m).includes(id)).map((m) => visibleText(m)).join('\n') : '';
      };
      const until = Date.now() + 280_000;
      while (!(/Done and verified|Failed/.test(dmOf('U0ALICE')) && /Done and verified|Failed/.test(dmOf('U0BOB'))) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await h.app.idle();
      const runs = (await doctor.remediations.audit.tail(500)).filter((a) => a.request === id && a.step === 'executing').length;
      const alice = /Done and verified/.test(dmOf('U0ALICE'));
      const bob = /Done and verified/.test(dmOf('U0BOB'));
      const said = /is gone \((is_archived|channel_not_found|not_in_channel)\)/.exec(dmOf('U0ALICE'))?.[1] ?? 'no reason shown';
      const pass = alice && bob && said !== 'no reason shown' && runs === 1;
      // On a failure, say where it stopped: the request's audit steps and the last words of each DM card.
      const steps = pass ? '' : `; audit: ${(await doctor.remediations.audit.tail(500)).filter((a) => a.request === id).map((a) => a.step).join(' → ')}; requester DM ends: «${dmOf('U0ALICE').slice(-160)}»; approver DM ends: «${dmOf('U0BOB').slice(-160)}»`;
      return observe(`requester DM done: ${alice}, approver DM done: ${bob}, reason shown: ${said}, executions: ${runs}${steps}`, pass);
    }, 300_000);
  }
});
