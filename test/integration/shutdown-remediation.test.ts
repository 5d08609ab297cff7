/**
 * SIGTERM to a real bot process (Slack HTTP mode, the stand-in as Slack, the shared Redis state store) while
 * a remediation it approved is executing: `restart-backend` on podman's engine, whose `web` container ignores
 * SIGTERM so the restart takes the engine's 10 s stop timeout.
 *
 * - Bound too short for the restart: the bot records the run `interrupted` itself (audit `interrupted`,
 *   cause shutdown; request final), releases the target lock, the card in Slack says interrupted and why, the
 *   process exits within the bound; the next bot on the same store re-runs nothing (one `executing`, the
 *   container restarted once).
 * - Bound long enough: the restart finishes and is verified before the process exits (audit `verified`), the
 *   card says done.
 * - SIGTERM while an acked approval still waits on the state store (CLIENT PAUSE WRITE holds its redelivery
 *   claim): the stop waits for it, so the approval Slack was told about is carried out, not dropped pending.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Redis from 'ioredis';
import { AuditLog } from '../../src/remediations/audit';
import type { RemediationRequest } from '../../src/remediations/request';
import { RedisStore } from '../../src/state/redis-store';
import { startBotProcess, type BotProcess } from '../peers/bot-process';
import { startPodman, type PodmanPeer } from '../peers/podman';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn, type StoredMessage } from '../peers/slack-api';
import { postInteraction, postSlashCommand } from '../peers/slack-drivers';

jest.setTimeout(300000);

const P = 'wsdterm';
let peer: PodmanPeer;
let stateRedis: RedisProcess;
let standIn: SlackStandIn;
let store: RedisStore;
const secret = randomBytes(16).toString('hex');
const started: BotProcess[] = [];

beforeAll(async () => {
  peer = await startPodman();
  await peer.run({
    name: `${P}-web-1`,
    compose: { project: P, service: 'web' },
    cmd: `trap "" TERM; echo "INFO:     Application startup complete."; while true; do sleep 1; done`,
  });
  stateRedis = await startRedisServer();
  store = new RedisStore({ url: `${stateRedis.url}/1`, keyPrefix: 'wsd:' });
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
});

afterAll(async () => {
  await Promise.all(started.map((b) => b.stop(5000)));
  await store?.close().catch(() => undefined);
  await standIn?.close();
  await stateRedis?.stop();
  await peer?.cleanup();
});

function bot(shutdownTimeoutMs: number): Promise<BotProcess> {
  return startBotProcess({
    config: {
      environments: {
        local: {
          docker: { socketPath: peer.socketPath, project: P, expectedServices: ['web'], criticalServices: ['web'], timeoutMs: 5000 },
        },
      },
      state: { store: 'redis', redis: { url: `${stateRedis.url}/1` } },
      schedule: { enabled: false },
      alerts: { enabled: false },
      policy: { lockTtlSeconds: 3, verifyDeadlineSeconds: 60, actions: { 'restart-backend': { verify: ['containers'], cooldownSeconds: 0, maxPerHour: 20 } } },
      telemetry: { shutdownTimeoutMs },
    },
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl },
    healthTimeoutMs: 60000,
  }).then((b) => (started.push(b), b));
}

async function startedAt(): Promise<string> {
  return (await peer.podman(['inspect', '--format', '{{.State.StartedAt}}', `${P}-web-1`])).stdout.trim();
}

async function steps(id: string): Promise<Array<{ step: string; detail?: Record<string, unknown> }>> {
  return (await new AuditLog(store, 'test-reader').tail(500)).filter((a) => a.request === id) as Array<{ step: string; detail?: Record<string, unknown> }>;
}

/** `/ws remediate restart-backend` by alice, approved by bob's click; resolves once the run is executing. */
async function approveRestart(b: BotProcess, waitExecuting = true): Promise<{ card: StoredMessage; id: string }> {
  const before = new Set(standIn.channelMessages('C0OPS').map((m) => m.ts));
  const cmd = standIn.slashCommand({ text: 'remediate restart-backend', user: 'U0ALICE', channel: 'C0OPS' });
  const ack = await postSlashCommand(b.eventsUrl as string, cmd, { secret });
  standIn.acceptCommandAck(cmd, ack.body);
  const card = await waitFor(() => standIn.channelMessages('C0OPS').find((m) => !before.has(m.ts) && !m.threadTs && /Waiting for approval/.test(visibleText(m))), 'the card', 60000);
  const id = /\b(r-[0-9a-f]{10})\b/.exec(visibleText(card))?.[1] ?? '';
  expect(id).not.toBe('');
  const click = await postInteraction(b.eventsUrl as string, standIn.click(card, { kind: 'approve' }, 'U0BOB'), { secret });
  expect(click.status).toBe(200);
  if (waitExecuting) await waitFor(async () => (await steps(id)).some((s) => s.step === 'executing'), 'the run to be executing', 60000);
  return { card, id };
}

test('SIGTERM with too little time left: recorded interrupted by the stopping bot, card says so, lock free, never re-run', async () => {
  const b = await bot(8000);
  const t0 = await startedAt();
  const { card, id } = await approveRestart(b);
  const sent = Date.now();
  b.signal('SIGTERM');
  const code = await b.exited;
  const took = Date.now() - sent;
  expect(code).toBe(0);
  // The bound is 8 s; the process exits soon after it at the latest (generous on a loaded machine).
  expect(took).toBeLessThan(8000 + 7000);
  expect(b.logs()).toMatch(/1 remediation\(s\) still executing recorded as interrupted: r-[0-9a-f]{10} restart-backend/);

  const req = (await store.get<RemediationRequest>(`remediation:${id}`))?.value;
  expect(req?.state).toBe('interrupted');
  expect(req?.reason).toMatch(/the bot was stopped \(shutdown\) during execution \(last step: restart web, in progress\): it was not re-run/);
  const s = await steps(id);
  expect(s.filter((x) => x.step === 'executing')).toHaveLength(1);
  expect(s.find((x) => x.step === 'interrupted')?.detail).toMatchObject({ cause: 'shutdown' });
  // The lock is free now, not after its TTL: another holder takes it at once.
  const lease = await store.acquireLease('lock:local:service:web', 'test-probe', 1000);
  expect(lease).toBeDefined();
  if (lease) await store.releaseLease(lease);
  // The card in Slack was updated before the process went away.
  expect(visibleText(card)).toMatch(/Interrupted/);
  expect(visibleText(card)).toMatch(/stopped \(shutdown\) during execution/);
  expect(JSON.stringify(card.blocks)).not.toMatch(/wsd:approve/);

  // The engine finishes the restart it was asked for; the next bot on the same store runs nothing again.
  await waitFor(async () => (await startedAt()) !== t0, 'web to be restarted', 60000);
  const t1 = await startedAt();
  const next = await bot(8000);
  await new Promise((r) => setTimeout(r, 8000)); // its start-up sweep and a periodic one
  expect(await startedAt()).toBe(t1);
  expect((await store.get<RemediationRequest>(`remediation:${id}`))?.value.state).toBe('interrupted');
  expect((await steps(id)).filter((x) => x.step === 'executing')).toHaveLength(1);
  expect(await next.stop()).toBe(0);
  expect(await new AuditLog(store, 'test-reader').verify()).toMatchObject({ ok: true });
  expect(standIn.liveMarkup).toEqual([]);
});

test('SIGTERM with time enough: the running restart finishes and is verified before the process exits', async () => {
  const b = await bot(90000);
  const t0 = await startedAt();
  const { card, id } = await approveRestart(b);
  b.signal('SIGTERM');
  const code = await b.exited;
  expect(code).toBe(0);
  expect(b.logs()).not.toMatch(/recorded as interrupted/);
  const req = (await store.get<RemediationRequest>(`remediation:${id}`))?.value;
  expect(req?.state).toBe('succeeded');
  const s = (await steps(id)).map((x) => x.step);
  expect(s).toContain('verified');
  expect(s).not.toContain('interrupted');
  expect(await startedAt()).not.toBe(t0);
  expect(visibleText(card)).toMatch(/Done and verified/);
});

test('SIGTERM the instant the approval click is acked: the run still counts as running, and the card ends as the store says', async () => {
  const b = await bot(90000);
  const { card, id } = await approveRestart(b, false);
  b.signal('SIGTERM');
  expect(await b.exited).toBe(0);
  const req = (await store.get<RemediationRequest>(`remediation:${id}`))?.value;
  // Whatever the race gave (finished, or never started), it is final and the card shows that same state.
  expect(['succeeded', 'interrupted', 'refused']).toContain(req?.state);
  const shown = { succeeded: /Done and verified/, interrupted: /Interrupted/, refused: /Refused/ }[req?.state as 'succeeded'];
  expect(visibleText(card)).toMatch(shown);
  expect(JSON.stringify(card.blocks)).not.toMatch(/wsd:approve/);
});

test('SIGTERM while the acked approval waits on the state store: the stop waits for it and the restart is carried out', async () => {
  const b = await bot(90000);
  const t0 = await startedAt();
  // Writes to the state store stall for 0.8 s from here: the click's redelivery claim, right after its ack, waits.
  const admin = new Redis(`${stateRedis.url}/1`);
  try {
    const { card, id } = await (async () => {
      const before = new Set(standIn.channelMessages('C0OPS').map((m) => m.ts));
      const cmd = standIn.slashCommand({ text: 'remediate restart-backend', user: 'U0ALICE', channel: 'C0OPS' });
      standIn.acceptCommandAck(cmd, (await postSlashCommand(b.eventsUrl as string, cmd, { secret })).body);
      const c = await waitFor(() => standIn.channelMessages('C0OPS').find((m) => !before.has(m.ts) && !m.threadTs && /Waiting for approval/.test(visibleText(m))), 'the card', 60000);
      await admin.call('CLIENT', 'PAUSE', '800', 'WRITE'); // under the store's 1 s command timeout
      const click = await postInteraction(b.eventsUrl as string, standIn.click(c, { kind: 'approve' }, 'U0BOB'), { secret });
      expect(click.status).toBe(200);
      return { card: c, id: /\b(r-[0-9a-f]{10})\b/.exec(visibleText(c))?.[1] ?? '' };
    })();
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
    const req = (await store.get<RemediationRequest>(`remediation:${id}`))?.value;
    expect(req?.state).toBe('succeeded');
    expect((await steps(id)).map((x) => x.step)).toEqual(expect.arrayContaining(['approved', 'executing', 'verified']));
    expect(await startedAt()).not.toBe(t0);
    expect(visibleText(card)).toMatch(/Done and verified/);
  } finally {
    await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
    admin.disconnect();
  }
});
