/**
 * R4 — clear one user's leaked connection counters (`<prefix>ws_connections:user:<id>` and
 * `<prefix>ws_rate:user:<id>` in the cache DB): a counter stuck at the limit makes every handshake of that
 * user a 403 (target-system §12–13). Deletes exactly those two keys, only if they still hold the values shown.
 */
import { z } from 'zod';
import { redisFailureCause } from '../../targets/redis';
import { keyItem, keyTouch, readKeys } from '../key-preview';
import type { ActionContext, ExecuteResult, Preview, RemediationAction } from '../types';

type Args = { user: string };

function keysOf(ctx: ActionContext, user: string): string[] {
  const p = ctx.env.redis.cacheKeyPrefix;
  return [`${p}ws_connections:user:${user}`, `${p}ws_rate:user:${user}`];
}

/** Delete each key only while it still holds the value previewed (the user may have connected since). */
const DELETE_IF_UNCHANGED = `
local n = 0
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and redis.sha1hex(v) == ARGV[i] then n = n + redis.call('UNLINK', k) end
end
return n`;

export const clearLeakedCounters: RemediationAction<Args> = {
  id: 'clear-leaked-counters',
  title: "Clear one user's leaked connection counters",
  ref: 'target-system Remediations R4',
  risk: 'low',
  blastRadius: "one user; the concurrency cap under-counts that user's open sockets until they reconnect",
  params: [{ name: 'user', description: 'Django user id (digits), as in `ws_connections:user:<id>`' }],
  argsSchema: z.strictObject({ user: z.string().regex(/^\d{1,12}$/, 'a Django user id: digits only') }),
  verify: ['ws-counters'],
  limits: { cooldownSeconds: 10, maxPerHour: 20 },
  locks: (a) => [`user-counters:${a.user}`],
  async preview(ctx, a): Promise<Preview> {
    const db = ctx.env.redis.dbs.cache;
    try {
      const states = await readKeys(ctx.targets.redis(db), keysOf(ctx, a.user));
      const present = states.filter((s) => s.exists);
      const conn = states[0];
      const leaked = conn?.exists ? Number(conn.value) >= ctx.env.checks.thresholds.leakedCounterMin : false;
      return {
        summary: present.length ? `Delete ${present.length} counter key${present.length === 1 ? '' : 's'} of user ${a.user} in DB ${db}` : `User ${a.user} has no counters in DB ${db}: nothing to clear`,
        items: states.map((s) => keyItem(db, s, true)),
        touches: states.map((s) => keyTouch(db, s)),
        actionable: present.length > 0,
        ...(present.length && !leaked ? { warning: `ws_connections is below ${ctx.env.checks.thresholds.leakedCounterMin}: it may be counting real open sockets` } : {}),
      };
    } catch (err) {
      const cause = redisFailureCause(ctx.env.redis.url, err);
      const problem = `Redis did not answer (${cause instanceof Error ? cause.message : String(cause)})`;
      return { summary: `Cannot read counters: ${problem}`, items: [], touches: [], actionable: false, warning: problem };
    }
  },
  async execute(ctx, a, progress, approved): Promise<ExecuteResult> {
    const db = ctx.env.redis.dbs.cache;
    const keys = keysOf(ctx, a.user);
    const hashes = keys.map((k) => approved.touches.find((t) => t.startsWith(`key:db${db}:${k}=`))?.split('=').pop() ?? 'absent');
    progress({ step: `delete ${keys.length} keys`, done: false });
    try {
      const n = (await ctx.targets.redis(db).eval(DELETE_IF_UNCHANGED, keys.length, ...keys, ...hashes)) as number;
      progress({ step: `delete ${keys.length} keys`, done: true });
      return { ok: true, summary: `deleted ${n} counter key${n === 1 ? '' : 's'} of user ${a.user} in DB ${db}`, facts: { db, deleted: n, user: a.user } };
    } catch (err) {
      const cause = redisFailureCause(ctx.env.redis.url, err);
      const e = cause instanceof Error ? cause.message : String(cause);
      return { ok: false, summary: `delete failed: ${e}`, facts: { db }, error: e };
    }
  },
};
