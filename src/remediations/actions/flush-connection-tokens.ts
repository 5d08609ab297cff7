/**
 * R6 — delete every connection token (`<prefix>ws_conn_token:*`) in the cache DB only, with SCAN + UNLINK
 * in batches. Never KEYS, never FLUSHDB: DB 0 is Celery's broker, and the cache DB also holds rate limits,
 * session versions and the health key that must survive.
 *
 * Normally nothing needs doing (tokens live 60 s); this is for a token store polluted by a bug or a replay.
 */
import { z } from 'zod';
import { globEscape } from '../../targets/redis-scan';
import { redisFailureCause } from '../../targets/redis';
import { countMatching, unlinkMatching } from '../primitives/redis-keys';
import { formatDuration } from '../format';
import type { ActionContext, ExecuteResult, Preview, RemediationAction } from '../types';

function tokenPattern(ctx: ActionContext): string {
  return `${globEscape(ctx.env.redis.cacheKeyPrefix)}ws_conn_token:*`;
}

/** Order of magnitude only: tokens come and go every minute, a 10× change is what a person must re-approve. */
function magnitude(n: number): string {
  return n === 0 ? '0' : `~1e${Math.floor(Math.log10(n))}`;
}

function redisProblem(ctx: ActionContext, err: unknown): string {
  const cause = redisFailureCause(ctx.env.redis.url, err);
  return `Redis did not answer (${cause instanceof Error ? cause.message : String(cause)})`;
}

export const flushConnectionTokens: RemediationAction<Record<string, never>> = {
  id: 'flush-connection-tokens',
  title: 'Flush connection tokens',
  ref: 'target-system Remediations R6',
  risk: 'low',
  blastRadius: 'handshakes in flight fail once and clients fetch a new token; nothing else in the cache DB is touched',
  params: [],
  argsSchema: z.strictObject({}),
  verify: ['token-issuance', 'token-storage', 'chat-handshake'],
  limits: { cooldownSeconds: 60, maxPerHour: 6 },
  locks: (_a, env) => [`redis-db:${env.redis.dbs.cache}:tokens`],
  async preview(ctx): Promise<Preview> {
    const db = ctx.env.redis.dbs.cache;
    const pattern = tokenPattern(ctx);
    try {
      const c = await countMatching(ctx.targets.redis(db), pattern, { samples: 3, signal: ctx.signal });
      const label = `db ${db} · ${pattern}`;
      const count = `${c.complete ? '' : '≥ '}${c.count} key${c.count === 1 ? '' : 's'}`;
      return {
        summary: c.count === 0 ? `No connection tokens in DB ${db}: nothing to flush` : `Unlink ${count} in DB ${db} (SCAN + UNLINK on the server, 1,500 slots a call)`,
        items: [
          { kind: 'keys', label, detail: `${count}${c.samples.length ? `, e.g. ${c.samples.join(', ')}` : ''}` },
          { kind: 'note', label: `untouched`, detail: `every other key of DB ${db}; DB ${ctx.env.redis.dbs.broker} (Celery broker) and DB ${ctx.env.redis.dbs.channelLayer} (channel layer) not opened` },
        ],
        touches: [`keys:db${db}:${pattern}:${magnitude(c.count)}`],
        actionable: c.count > 0,
        ...(c.complete ? {} : { warning: `count stopped after ${formatDuration(c.durationMs)}: at least ${c.count}` }),
        ...(db === ctx.env.redis.dbs.broker ? { warning: `the cache DB is the broker DB (${db}): only token keys are touched, the queue stays` } : {}),
      };
    } catch (err) {
      const problem = redisProblem(ctx, err);
      return { summary: `Cannot count tokens: ${problem}`, items: [], touches: [], actionable: false, warning: problem };
    }
  },
  async execute(ctx, _a, progress): Promise<ExecuteResult> {
    const db = ctx.env.redis.dbs.cache;
    const pattern = tokenPattern(ctx);
    let last = 0;
    try {
      const r = await unlinkMatching(ctx.targets.redis(db), pattern, {
        signal: ctx.signal,
        onProgress: (p) => {
          // Progress at most every 100 batches: a message edit per batch would hit Slack's rate limit.
          if (p.batches - last >= 100) {
            last = p.batches;
            progress({ step: `unlinked ${p.unlinked} keys (${p.batches} batches)`, done: false });
          }
        },
      });
      return {
        ok: r.complete,
        summary: `unlinked ${r.unlinked} token key${r.unlinked === 1 ? '' : 's'} in DB ${db} in ${formatDuration(r.durationMs)} (${r.batches} batches${r.via === 'client' ? ', from the client: the server refused the script' : ''})`,
        facts: { db, unlinked: r.unlinked, matched: r.matched, batches: r.batches, durationMs: r.durationMs, via: r.via, ...(r.scriptRefused ? { scriptRefused: r.scriptRefused } : {}) },
        ...(r.complete ? {} : { error: 'stopped before the walk was complete' }),
      };
    } catch (err) {
      const problem = redisProblem(ctx, err);
      return { ok: false, summary: `flush failed: ${problem}`, facts: { db }, error: problem };
    }
  },
};
