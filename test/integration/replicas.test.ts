/**
 * Two and three real ws-doctor processes on one shared state store (`state.store: redis`, a real redis-server
 * of its own), all in Slack HTTP mode as replicas behind a load balancer would be, the strict stand-in as Slack
 * and the demo backend as the watched stack:
 *
 * - two replicas: each scheduled fire runs on one of them (lease + per-fire claim), the other counts
 *   `not_leader`; the same `event_id` (a Slack retry landing on the other replica) runs once;
 * - three replicas: a verdict change is posted once, the alert rule's incident card is posted once (one card
 *   per root cause, not one per replica), a recovery is posted once; a remediation approved on two replicas
 *   at once (one person's click delivered to two replicas, a second person's click to the third) runs once.
 *
 * The counts asserted are counts of things (runs, posts, executions), never durations: the machine is loaded.
 */
import Redis from 'ioredis';
import { AuditLog } from '../../src/remediations/audit';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
import { sleep, startFleet, writeRuleFile, type Fleet } from '../peers/replica-fleet';

jest.setTimeout(300000);

const statusPosts = (f: Fleet): StoredMessage[] => f.standIn.channelMessages('C0OPS').filter((m) => !m.threadTs && /Status changed on demo/.test(visibleText(m)));

describe('two replicas on the shared store', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ replicas: 2, status: '*/2 * * * * *', leaseTtlMs: 3000 });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs each scheduled fire on exactly one replica; the other stands by', async () => {
    await waitFor(async () => (await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' })) >= 1, 'a first scheduled run', 60000);
    const t0 = Date.now();
    const ran0 = await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' });
    const standby0 = await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'not_leader' });
    await sleep(16000);
    const ran = (await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' })) - ran0;
    const standby = (await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'not_leader' })) - standby0;
    const t1 = Date.now();
    // Fires (2 s boundaries) in the window; a run in flight at either end may be counted on the other side.
    const slots = Math.floor(t1 / 2000) - Math.floor(t0 / 2000);
    // Both replicas running every fire would give ~2 × slots.
    expect(ran).toBeLessThanOrEqual(slots + 1);
    expect(ran).toBeGreaterThanOrEqual(2);
    // The standby saw the fires and was not elected for them.
    expect(standby).toBeGreaterThanOrEqual(2);
    const leaders = [];
    for (const b of fleet.bots) if ((await fleet.metric(b, 'ws_doctor_scheduler_leader')) === 1) leaders.push(b.pid);
    expect(leaders).toHaveLength(1);
    // Every replica's /ws schedule agrees on the last run: it is in the shared store, by the leader.
    const last = await fleet.get<{ by: string; ok: boolean }>('sched:last:status');
    expect(last?.value.by).toMatch(new RegExp(`:${leaders[0]}$`));
  });

  it('the same event_id delivered to both replicas (a Slack retry on the other one) runs once', async () => {
    const { body, message } = fleet.standIn.appMention({ text: 'help', user: 'U0RETRY', eventId: 'Ev0REPLICA1' });
    const [a, b] = await Promise.all([fleet.event(fleet.bots[0]!, body), fleet.event(fleet.bots[1]!, body, 1)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitFor(() => fleet.standIn.thread('C0OPS', message.ts)[0], 'the answer in the thread', 30000);
    await sleep(4000);
    expect(fleet.standIn.thread('C0OPS', message.ts)).toHaveLength(1);
    expect(await fleet.metricSum('ws_doctor_slack_duplicate_deliveries_total')).toBeGreaterThanOrEqual(1);
    // The claim lives in the shared store with a TTL (the redelivery window), not forever.
    expect((await fleet.get('dedupe:evt:Ev0REPLICA1'))?.expiresAt).toBeGreaterThan(Date.now());
  });
});

describe('three replicas on the shared store', () => {
  let fleet: Fleet;
  let rules: { file: string; remove(): void };
  let cache: Redis;
  beforeAll(async () => {
    rules = writeRuleFile(
      [
        'groups:',
        '  - name: replica-checks',
        '    interval: 2s',
        '    rules:',
        '      - alert: ReplicaDbDown',
        '        check: db-health',
        '        fail_after: 1',
        '        resolve_after: 1',
        '        severity: critical',
        '        annotations:',
        '          summary: Replica fleet sees the database down',
        '',
      ].join('\n'),
    );
    fleet = await startFleet({
      replicas: 3,
      status: '*/2 * * * * *',
      leaseTtlMs: 3000,
      config: {
        alerts: { enabled: true, channel: 'C0OPS', rules: [rules.file], graph: { enabled: false } },
        policy: { verifyDeadlineSeconds: 30 },
      },
    });
    cache = new Redis(`${fleet.stackRedis.url}/2`);
  });
  afterAll(async () => {
    cache?.disconnect();
    await fleet?.stop();
    rules?.remove();
  });

  const cards = (): StoredMessage[] => fleet.standIn.channelMessages('C0OPS').filter((m) => !m.threadTs && /Replica fleet sees the database down|ReplicaDbDown/.test(visibleText(m)));

  it('a verdict change is posted once and its incident gets one card, not one per replica', async () => {
    // Let the healthy first runs settle (first verdict remembered, nothing posted).
    await waitFor(async () => (await fleet.get('sched:verdict:demo')) !== undefined, 'a first remembered verdict', 60000);
    await sleep(3000);
    expect(statusPosts(fleet)).toEqual([]);
    fleet.backend.faults.set('db-down', true);
    await waitFor(() => statusPosts(fleet).find((m) => /ok → (down|degraded)/.test(visibleText(m))), 'the change to be posted', 60000);
    await waitFor(() => cards()[0], 'the incident card', 60000);
    // Several more fires and evaluations on three replicas: still one post and one card.
    await sleep(10000);
    expect(statusPosts(fleet)).toHaveLength(1);
    expect(cards()).toHaveLength(1);
    expect(visibleText(cards()[0]!)).toMatch(/Firing/);

    fleet.backend.faults.set('db-down', false);
    await waitFor(() => statusPosts(fleet).find((m) => /(down|degraded) → ok/.test(visibleText(m))), 'the recovery to be posted', 60000);
    await waitFor(() => /Resolved/.test(visibleText(cards()[0]!)), 'the card to say resolved', 60000);
    await sleep(6000);
    expect(statusPosts(fleet)).toHaveLength(2);
    // Resolved in place: the same one card.
    expect(cards()).toHaveLength(1);
    expect(fleet.standIn.liveMarkup).toEqual([]);
  });

  it('a remediation approved on two replicas at once runs once', async () => {
    const [a, b, c] = fleet.bots as [(typeof fleet.bots)[0], (typeof fleet.bots)[0], (typeof fleet.bots)[0]];
    await cache.set('allthrive:1:ws_connections:user:42', '7', 'EX', 86400);
    await fleet.command(a, fleet.standIn.slashCommand({ text: 'remediate clear-leaked-counters 42', user: 'U0ALICE', channel: 'C0OPS' }));
    const card = await waitFor(
      () => fleet.standIn.channelMessages('C0OPS').find((m) => !m.threadTs && /Waiting for approval/.test(visibleText(m)) && /user:42/.test(visibleText(m))),
      'the remediation card',
      60000,
    );
    // Bob's click reaches replicas b and c (Slack retried it onto another replica); Carol clicks too, on a.
    const bob = fleet.standIn.click(card, { kind: 'approve' }, 'U0BOB');
    const carol = fleet.standIn.click(card, { kind: 'approve' }, 'U0CAROL');
    const acks = await Promise.all([fleet.action(b, bob), fleet.action(c, bob), fleet.action(a, carol)]);
    expect(acks.map((x) => x.status)).toEqual([200, 200, 200]);
    await waitFor(() => /Done and verified/.test(visibleText(card)) && card, 'the card to say done', 90000);
    await sleep(4000);
    expect(await cache.exists('allthrive:1:ws_connections:user:42')).toBe(0);
    const audit = new AuditLog(fleet.store, 'test-reader');
    const id = /\b(r-[0-9a-f]{10})\b/.exec(visibleText(card))?.[1] ?? '';
    const steps = (await audit.tail(200)).filter((x) => x.request === id).map((x) => x.step);
    expect(steps.filter((s) => s === 'executing')).toHaveLength(1);
    expect(steps.filter((s) => s === 'approved')).toHaveLength(1);
    expect(await audit.verify()).toMatchObject({ ok: true });
    // One card for the request, updated in place.
    expect(fleet.standIn.channelMessages('C0OPS').filter((m) => !m.threadTs && visibleText(m).includes(id))).toHaveLength(1);
  });
});
