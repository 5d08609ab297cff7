/**
 * Chaos area: requesting fixes from buttons and judging people by Slack user groups. A fix button whose value
 * carries hostile arguments is refused before anything runs; Slack failing, refusing or hanging on
 * usergroups.users.list denies (never grants) and says why. (A card whose channel vanishes is in
 * test/e2e/slack-lost-channel.test.ts: it needs the whole Slack stand-in.)
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
