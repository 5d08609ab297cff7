/**
 * Check 9 (broker part) — `LLEN celery` on the broker DB (§4: every chat task goes to queue `celery`). A long
 * queue means workers are down or too slow: users see `task_queued` but never `processing_started` (F8).
 */
import { redisCall } from './probe-helpers';
import { redisUnreachable } from './redis';
import type { Check, CheckOutcome } from './types';

export const celeryQueue: Check = {
  name: 'celery-queue',
  title: 'Celery queue backlog',
  ref: 'target-system §4, §9 F8, check 9',
  async run(ctx): Promise<CheckOutcome> {
    const { dbs, url, commandTimeoutMs } = ctx.env.redis;
    const t = ctx.env.checks.thresholds;
    let length: number;
    try {
      length = await redisCall(ctx.targets.redis(dbs.broker).llen('celery'), ctx.signal, commandTimeoutMs);
    } catch (err) {
      // The `redis` check reports the outage; here the queue length is simply unknown.
      return redisUnreachable(url, err, 'unknown');
    }
    const evidence = { queue: 'celery', length, db: dbs.broker };
    if (length >= t.celeryQueueFail) {
      return { status: 'fail', summary: `${length} tasks waiting in queue celery (≥ ${t.celeryQueueFail}): workers down or stuck`, evidence, signals: ['celery-backlog'] };
    }
    if (length >= t.celeryQueueWarn) {
      return { status: 'warn', summary: `${length} tasks waiting in queue celery (≥ ${t.celeryQueueWarn})`, evidence, signals: ['celery-backlog'] };
    }
    return { status: 'ok', summary: `${length} tasks waiting in queue celery`, evidence };
  },
};
