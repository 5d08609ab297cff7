/**
 * Chaos area: replicas. Three real bot processes on one shared Redis state store (test/peers/replica-fleet.ts),
 * the scheduled status every 2 s, scheduler lease TTL 3 s; the demo backend made slow so a status run lasts
 * seconds and the leader can be caught in the middle of one.
 *
 * - The leader is paused (SIGSTOP) in the middle of a run, another replica takes over and posts the change;
 *   the old leader is resumed and finishes its run: its late verdict write carries the old fence and is refused.
 * - The leader is SIGKILLed in the middle of a run: another replica leads within TTL + one fire, and the change
 *   is posted once. The takeover time is in the row (the benchmark `npm run bench -- takeover` measures it).
 * - The shared store goes away: scheduled jobs pause everywhere (fail closed: no fire runs without its claim),
 *   Slack deliveries are still answered (the redelivery check fails open, counted).
 */
import type { BotProcess } from '../peers/bot-process';
import { visibleText, waitFor } from '../peers/slack-api';
import { sleep, startFleet, type Fleet } from '../peers/replica-fleet';
import { chaosRow, observe } from './row';

jest.setTimeout(300000);

const INTERVAL_MS = 2000;
const TTL_MS = 3000;
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    replicas: 3,
    status: '*/2 * * * * *',
    leaseTtlMs: TTL_MS,
    backend: { slowHandshakeMs: 3500 },
    thresholds: { handshakeWarnMs: 1500 },
  });
  // A first verdict (healthy) is remembered before any fault.
  await waitFor(async () => (await fleet.get('sched:verdict:demo')) !== undefined, 'a first remembered verdict', 90000);
}, 300000);

afterAll(async () => {
  await fleet?.stop();
});

const posts = (re: RegExp): string[] =>
  fleet.standIn
    .channelMessages('C0OPS')
    .filter((m) => !m.threadTs)
    .map((m) => visibleText(m))
    .filter((t) => /Status changed on demo/.test(t) && re.test(t));

/** Sleep until `ms` after the next fire boundary: the leader is then inside that fire's run. */
async function intoNextRun(ms: number): Promise<void> {
  const now = Date.now();
  await sleep(Math.ceil(now / INTERVAL_MS) * INTERVAL_MS - now + ms);
}

/** The newest claimed fire of the status job: who ran it, under which fence. */
async function lastFire(): Promise<{ key: string; holder: string; fence: number } | undefined> {
  const rows = await fleet.store.list<{ holder: string; fence: number }>('sched:fire:status:');
  const newest = rows.sort((a, b) => a.key.localeCompare(b.key)).pop();
  return newest ? { key: newest.key, ...newest.value } : undefined;
}

async function newLeader(except: BotProcess, timeoutMs: number): Promise<{ bot: BotProcess; ms: number } | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    for (const b of fleet.bots) {
      if (b === except) continue;
      if ((await fleet.metric(b, 'ws_doctor_scheduler_leader').catch(() => 0)) === 1) return { bot: b, ms: Date.now() - t0 };
    }
    await sleep(100);
  }
  return undefined;
}

chaosRow(
  'scheduler leader paused (SIGSTOP) mid-run past its lease, then resumed',
  'another replica takes over and posts the change once; the old leader\'s late write is refused (fence)',
  async () => {
    const leader = await waitFor(() => fleet.leader(), 'a leader', 30000);
    const refused0 = await fleet.metric(leader, 'ws_doctor_fenced_writes_refused_total');
    fleet.backend.faults.set('slow-handshake', true);
    await intoNextRun(1200);
    leader.signal('SIGSTOP');
    const fire = await lastFire();
    const oldFence = fire?.fence ?? 0;
    let taken: { bot: BotProcess; ms: number } | undefined;
    try {
      taken = await newLeader(leader, 60000);
      // The successor's verdict is in the store under its newer fence, and its post is out.
      await waitFor(async () => ((await fleet.get<{ fence: number }>('sched:verdict:demo'))?.value.fence ?? 0) > oldFence, 'the successor\'s verdict', 60000);
      await waitFor(() => posts(/ok → /).length >= 1, 'the change to be posted', 60000);
    } finally {
      leader.signal('SIGCONT');
    }
    const refused = await waitFor(
      async () => {
        const n = (await fleet.metric(leader, 'ws_doctor_fenced_writes_refused_total')) - refused0;
        return n >= 1 ? n : undefined;
      },
      'the old leader\'s late write to be refused',
      60000,
    ).catch(() => 0);
    await sleep(6000);
    const changes = posts(/ok → /).length;
    const verdict = await fleet.get<{ fence: number }>('sched:verdict:demo');
    return observe(
      `paused pid ${leader.pid} in fire ${fire?.key.split(':').slice(-3).join(':') ?? '?'} (fence ${oldFence}, holder ${fire?.holder ?? '?'}); ` +
        `${taken ? `pid ${taken.bot.pid} led after ${taken.ms} ms` : 'nobody took over'}; verdict fence ${verdict?.value.fence}; ` +
        `old leader's refused writes +${refused}; "ok → …" posts: ${changes}`,
      fire?.holder.endsWith(`:${leader.pid}`) === true && taken !== undefined && refused >= 1 && changes === 1 && (verdict?.value.fence ?? 0) > oldFence,
    );
  },
  300000,
);

chaosRow(
  'scheduler leader SIGKILLed in the middle of a status run',
  `another replica leads within TTL ${TTL_MS / 1000} s + one fire (+ load slack); the change it finds is posted once`,
  async () => {
    const leader = await waitFor(() => fleet.leader(), 'a leader', 30000);
    const before = posts(/./).length;
    fleet.backend.faults.set('backend-hang', true);
    await intoNextRun(1200);
    const fire = await lastFire();
    const killedAt = Date.now();
    leader.signal('SIGKILL');
    await leader.exited;
    const taken = await newLeader(leader, 60000);
    const takeoverMs = taken ? Date.now() - killedAt - 0 : undefined;
    await waitFor(() => posts(/./).length > before, 'the change (the backend hangs) to be posted', 90000).catch(() => undefined);
    await sleep(8000);
    const changes = posts(/./).length - before;
    fleet.backend.faults.set('backend-hang', false);
    fleet.backend.faults.set('slow-handshake', false);
    // Generous for a loaded 2-core machine: the bound itself is TTL + one interval.
    const bound = TTL_MS + INTERVAL_MS + 10000;
    return observe(
      `killed pid ${leader.pid} inside fire ${fire?.key.split(':').slice(-3).join(':') ?? '?'} (holder ${fire?.holder ?? '?'}); ` +
        `${taken ? `pid ${taken.bot.pid} leads ${takeoverMs} ms after the kill` : 'nobody took over'}; posts of the change: ${changes}` +
        (changes === 1 ? ` (${posts(/./).slice(before)[0]?.split('\n')[0]})` : ` (${posts(/./).slice(before).map((t) => t.split('\n')[0]).join(' | ')})`),
      fire?.holder.endsWith(`:${leader.pid}`) === true && takeoverMs !== undefined && takeoverMs < bound && changes === 1,
    );
  },
  300000,
);

chaosRow(
  'shared state store (redis-server) stopped under the replicas',
  'scheduled jobs pause on every replica (no fire without a claim); a Slack event is still answered once (dedupe fails open, counted)',
  async () => {
    const live: BotProcess[] = [];
    for (const b of fleet.bots) if (await fleet.metric(b, 'ws_doctor_scheduler_leader').then(() => true, () => false)) live.push(b);
    const ran = async (): Promise<number> => {
      let n = 0;
      for (const b of live) n += await fleet.metric(b, 'ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' }).catch(() => 0);
      return n;
    };
    const errs0 = await fleet.metricSum('ws_doctor_state_store_errors_total', { op: 'dedupe' });
    await fleet.stateRedis.stop();
    await sleep(TTL_MS + 1000); // leases can no longer be renewed anywhere
    const ran0 = await ran();
    await sleep(3 * INTERVAL_MS + 1000);
    const ranDuring = (await ran()) - ran0;
    const survivor = live[0] as BotProcess;
    const { body, message } = fleet.standIn.appMention({ text: 'help', user: 'U0NOSTORE', eventId: 'Ev0NOSTORE' });
    const ack = await fleet.event(survivor, body);
    const answered = await waitFor(() => fleet.standIn.thread('C0OPS', message.ts)[0], 'the answer', 30000).then(
      () => true,
      () => false,
    );
    await sleep(2000);
    const replies = fleet.standIn.thread('C0OPS', message.ts).length;
    const errs = (await fleet.metricSum('ws_doctor_state_store_errors_total', { op: 'dedupe' })) - errs0;
    return observe(
      `scheduled runs while the store was down: ${ranDuring}; event acked HTTP ${ack.status}, ${answered ? `answered (${replies} reply)` : 'not answered'}; dedupe store errors counted: ${errs}`,
      ranDuring === 0 && ack.status === 200 && answered && replies === 1 && errs >= 1,
    );
  },
  300000,
);
