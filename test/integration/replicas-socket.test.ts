/**
 * Two real ws-doctor processes in Socket Mode on one shared state store (`state.store: redis`): each opens its
 * own connection, and Slack (the strict stand-in) delivers every envelope to one of them. What must hold:
 *
 * - both connect and stay ready; commands delivered to either connection are answered once each;
 * - a Slack retry of an event (same `event_id`, `retry_attempt` 1) landing on the other connection runs once —
 *   the claim is in the shared store, not in the first replica's memory;
 * - each scheduled fire runs on one replica only (the lease does not depend on the transport).
 *
 * Counts of things (answers, runs), never durations: the machine is loaded.
 */
import { visibleText, waitFor } from '../peers/slack-api';
import { sleep, startFleet, type Fleet } from '../peers/replica-fleet';

jest.setTimeout(300000);

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ replicas: 2, transport: 'socket', status: '*/2 * * * * *', leaseTtlMs: 3000 });
  await waitFor(() => fleet.standIn.socketCount === 2, 'two Socket Mode connections, one per replica', 60000);
});
afterAll(async () => {
  await fleet?.stop();
});

it('answers commands delivered to either replica’s connection, once each', async () => {
  // Connections 0 and 1 are the two replicas' (one connection each, two open): half the commands go to each.
  const users = Array.from({ length: 6 }, (_, i) => `U0SOCK${i}`);
  const acks = await Promise.all(
    users.map((user, i) => fleet.standIn.push('slash_commands', fleet.standIn.slashCommand({ text: 'help', user }), { connection: i % 2, timeoutMs: 15000 })),
  );
  expect(acks).toHaveLength(6);
  for (const user of users) await waitFor(() => fleet.standIn.ephemerals(user)[0], `the answer to ${user}`, 60000);
  await sleep(3000);
  for (const user of users) {
    const answers = fleet.standIn.ephemerals(user);
    expect(answers).toHaveLength(1);
    expect(visibleText(answers[0]!)).toMatch(/status/);
  }
});

it('a retried event landing on the other replica’s connection runs once', async () => {
  const { body, message } = fleet.standIn.appMention({ text: 'help', user: 'U0SOCKRETRY', eventId: 'Ev0SOCKET1' });
  await fleet.standIn.push('events_api', body, { connection: 0, timeoutMs: 15000 });
  await fleet.standIn.push('events_api', body, { connection: 1, retryAttempt: 1, retryReason: 'timeout', timeoutMs: 15000 });
  await waitFor(() => fleet.standIn.thread('C0OPS', message.ts)[0], 'the answer in the thread', 60000);
  await sleep(4000);
  expect(fleet.standIn.thread('C0OPS', message.ts)).toHaveLength(1);
  expect(await fleet.metricSum('ws_doctor_slack_duplicate_deliveries_total')).toBeGreaterThanOrEqual(1);
  expect((await fleet.get('dedupe:evt:Ev0SOCKET1'))?.expiresAt).toBeGreaterThan(Date.now());
});

it('runs each scheduled fire on one replica only', async () => {
  await waitFor(async () => (await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' })) >= 1, 'a first scheduled run', 60000);
  const t0 = Date.now();
  const ran0 = await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' });
  await sleep(12000);
  const ran = (await fleet.metricSum('ws_doctor_scheduler_runs_total', { job: 'status', outcome: 'ran' })) - ran0;
  const slots = Math.floor(Date.now() / 2000) - Math.floor(t0 / 2000);
  // Both replicas running every fire would give ~2 × slots.
  expect(ran).toBeGreaterThanOrEqual(2);
  expect(ran).toBeLessThanOrEqual(slots + 1);
  expect(await fleet.leader()).toBeDefined();
});
