/**
 * R5 — free a stuck conversation lock: the raw, unprefixed `ava:lock:<conversation id>` in the cache DB (set
 * with SET NX EX by the raw client, TTL 120 s; the clear-conversation endpoint deletes the *prefixed* name and
 * so never frees it — target-system §4). Deleted only while it still holds the holder previewed: a lock a new
 * task took since is left alone.
 */
import { z } from 'zod';
import { redisFailureCause } from '../../targets/redis';
import { keyItem, keyTouch, readKeys } from '../key-preview';
import type { ExecuteResult, Preview, RemediationAction } from '../types';

type Args = { conversation: string };

const DELETE_IF_HOLDER = `
local v = redis.call('GET', KEYS[1])
if v and redis.sha1hex(v) == ARGV[1] then return redis.call('UNLINK', KEYS[1]) end
return 0`;

const lockKey = (conversation: string): string => `ava:lock:${conversation}`;

export const freeConversationLock: RemediationAction<Args> = {
  id: 'free-conversation-lock',
  title: 'Free a stuck conversation lock',
  ref: 'target-system Remediations R5',
  risk: 'low',
  blastRadius: 'one conversation; if its task is in fact still running, two workers may answer on one thread',
  params: [{ name: 'conversation', description: 'conversation id, as in `ava:lock:<id>`' }],
  argsSchema: z.strictObject({ conversation: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a conversation id: letters, digits, - _ . : (no spaces or glob characters)') }),
  verify: ['redis'],
  limits: { cooldownSeconds: 10, maxPerHour: 20 },
  locks: (a) => [`conversation:${a.conversation}`],
  async preview(ctx, a): Promise<Preview> {
    const db = ctx.env.redis.dbs.cache;
    try {
      const [s] = await readKeys(ctx.targets.redis(db), [lockKey(a.conversation)]);
      if (!s) throw new Error('no reply');
      return {
        summary: s.exists ? `Delete lock ${s.key} in DB ${db}` : `No lock ${s.key} in DB ${db}: the conversation is not locked`,
        items: [keyItem(db, s, false)],
        touches: [keyTouch(db, s)],
        actionable: s.exists,
        ...(s.exists && s.ttlMs !== undefined && s.ttlMs < 15_000 ? { warning: `it expires by itself in ${Math.ceil(s.ttlMs / 1000)} s` } : {}),
      };
    } catch (err) {
      const cause = redisFailureCause(ctx.env.redis.url, err);
      const problem = `Redis did not answer (${cause instanceof Error ? cause.message : String(cause)})`;
      return { summary: `Cannot read the lock: ${problem}`, items: [], touches: [], actionable: false, warning: problem };
    }
  },
  async execute(ctx, a, progress, approved): Promise<ExecuteResult> {
    const db = ctx.env.redis.dbs.cache;
    const key = lockKey(a.conversation);
    const hash = approved.touches[0]?.split('=').pop() ?? 'absent';
    progress({ step: `delete ${key}`, done: false });
    try {
      const n = (await ctx.targets.redis(db).eval(DELETE_IF_HOLDER, 1, key, hash)) as number;
      progress({ step: `delete ${key}`, done: true });
      return n === 1
        ? { ok: true, summary: `deleted ${key} in DB ${db}`, facts: { db, deleted: 1 } }
        : { ok: false, summary: `${key} was not deleted: it expired or another task holds it now`, facts: { db, deleted: 0 }, error: 'lock changed hands' };
    } catch (err) {
      const cause = redisFailureCause(ctx.env.redis.url, err);
      const e = cause instanceof Error ? cause.message : String(cause);
      return { ok: false, summary: `delete failed: ${e}`, facts: { db }, error: e };
    }
  },
};
