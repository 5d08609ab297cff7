/**
 * `npm run bench -- takeover`: how long the scheduled jobs go without a leader when the leader dies. Two real
 * bot processes on a shared Redis state store (test/peers/replica-fleet.ts), status every 2 s, scheduler lease
 * TTL 3 s; the leader is SIGKILLed at a different point of the 2 s interval each round (a fresh replica joins
 * after each kill so two remain), and we measure:
 *
 * - to lead: SIGKILL → a survivor's `ws_doctor_scheduler_leader` gauge is 1 (it took the lease at a fire);
 * - to run: SIGKILL → the survivor's first scheduled status run is finished (`sched:last:status` by it).
 *
 * The bound the design promises is the lease TTL plus one fire interval (the lease must run out, then the next
 * fire elects): the baseline column. Kills: `BENCH_TAKEOVER_ROUNDS` (default 5).
 */
import type { BotProcess } from '../test/peers/bot-process';
import { sleep, startFleet } from '../test/peers/replica-fleet';
import { median, type BenchResult } from './types';

const INTERVAL_MS = 2000;
const TTL_MS = 3000;

export async function benchTakeover(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_TAKEOVER_ROUNDS ?? 5);
  const fleet = await startFleet({ replicas: 2, status: '*/2 * * * * *', leaseTtlMs: TTL_MS });
  const toLead: number[] = [];
  const toRun: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      let leader: BotProcess | undefined;
      for (let t = 0; !leader && t < 300; t++) {
        leader = await fleet.leader();
        if (!leader) await sleep(100);
      }
      if (!leader) throw new Error('no leader');
      // A different point of the interval each round.
      const now = Date.now();
      await sleep(Math.ceil(now / INTERVAL_MS) * INTERVAL_MS - now + (i * INTERVAL_MS) / rounds);
      const killedAt = Date.now();
      leader.signal('SIGKILL');
      await leader.exited;
      let lead: BotProcess | undefined;
      while (!lead && Date.now() - killedAt < 60000) {
        for (const b of fleet.bots) if (b !== leader && (await fleet.metric(b, 'ws_doctor_scheduler_leader').catch(() => 0)) === 1) lead = b;
        if (!lead) await sleep(50);
      }
      if (!lead) throw new Error('nobody took over within 60 s');
      toLead.push(Date.now() - killedAt);
      const survivor = lead;
      for (;;) {
        const last = await fleet.get<{ by: string; at: string }>('sched:last:status');
        if (last && last.value.by.endsWith(`:${survivor.pid}`) && Date.parse(last.value.at) >= killedAt) break;
        if (Date.now() - killedAt > 60000) throw new Error('the survivor did not run the job within 60 s');
        await sleep(50);
      }
      toRun.push(Date.now() - killedAt);
      process.stderr.write(`takeover: round ${i + 1}: led after ${toLead[i]} ms, first run done after ${toRun[i]} ms\n`);
      fleet.bots.splice(fleet.bots.indexOf(leader), 1);
      await fleet.addReplica();
    }
  } finally {
    await fleet.stop();
  }
  const bound = TTL_MS + INTERVAL_MS;
  const m = median(toLead);
  return {
    name: 'takeover',
    ours: { medianMs: m, extra: { rounds, maxToLeadMs: Math.max(...toLead), medianToFirstRunMs: median(toRun), maxToFirstRunMs: Math.max(...toRun) } },
    baseline: { medianMs: bound, command: `the design bound: lease TTL ${TTL_MS} ms + one fire interval ${INTERVAL_MS} ms` },
    ratio: Math.round((100 * m) / bound) / 100,
    target: `median time to a new leader ≤ lease TTL + one interval (${bound} ms)`,
    pass: m <= bound,
  };
}
