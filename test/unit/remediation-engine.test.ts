/**
 * The remediation flow on the store contract (in-memory store, a test action over an in-memory "service"):
 * happy path with audit, self-approval and non-approver refused, expiry, double click and retries execute once,
 * two concurrent requests on one target → one runs, cooldown and hourly cap, breaker, preview drift asks again,
 * a dead bot's execution is marked interrupted and never re-run, and the audit chain detects an edit.
 */
import { z } from 'zod';
import { environmentSchema } from '../../src/config/schema';
import { policySchema } from '../../src/config/policy-schema';
import { RemediationEngine, type RemediationHost } from '../../src/remediations/engine';
import { Policy } from '../../src/remediations/policy';
import type { RemediationRequest } from '../../src/remediations/request';
import type { ExecuteResult, RemediationAction } from '../../src/remediations/types';
import { MemoryStateStore } from '../../src/state/memory-store';
import type { Targets } from '../../src/targets/targets';

/** The "service" the test action restarts: its generation is what the preview shows and what drift compares. */
const world = { generation: 1, restarts: 0, healthy: true, failNext: false, gate: undefined as Promise<void> | undefined };

const restartThing: RemediationAction<{ name: string }> = {
  id: 'restart-thing',
  title: 'Restart the thing',
  ref: 'test',
  risk: 'medium',
  blastRadius: 'the thing',
  params: [{ name: 'name', description: 'which thing' }],
  argsSchema: z.strictObject({ name: z.string().regex(/^[a-z]+$/, 'lower-case letters') }),
  verify: ['thing-ok'],
  followUps: ['tidy-thing'],
  limits: { cooldownSeconds: 0, maxPerHour: 3 },
  locks: (a) => [`thing:${a.name}`],
  async preview(_ctx, a) {
    return { summary: `Restart ${a.name}`, items: [{ kind: 'container', label: a.name, detail: `generation ${world.generation}` }], touches: [`thing:${a.name}:${world.generation}`], actionable: true };
  },
  async execute(_ctx, a, progress): Promise<ExecuteResult> {
    progress({ step: `restart ${a.name}`, done: false });
    if (world.gate) await world.gate;
    world.restarts++;
    progress({ step: `restart ${a.name}`, done: true });
    if (world.failNext) return { ok: false, summary: 'it did not come back', facts: {}, error: 'boom' };
    return { ok: true, summary: `restarted ${a.name}`, facts: { restarts: world.restarts } };
  },
};

const tidyThing: RemediationAction<Record<string, never>> = { ...(restartThing as unknown as RemediationAction<Record<string, never>>), id: 'tidy-thing', risk: 'low', params: [], argsSchema: z.strictObject({}), locks: () => ['tidy'] };

const env = environmentSchema.parse({ docker: { enabled: false } });
const host: RemediationHost = {
  envNames: () => ['local'],
  envConfig: (e) => (e === 'local' ? env : undefined),
  targetsOf: () => ({}) as Targets,
  runChecks: async (_e, names) =>
    names.map((check) => ({ check, status: world.healthy ? 'ok' : 'fail', summary: world.healthy ? 'fine' : 'broken', evidence: {}, durationMs: 1, ref: 'test' })),
};

let clock = 1_700_000_000_000;
const now = (): number => clock;
const alice = { id: 'UALICE', name: 'alice' };
const bob = { id: 'UBOB', name: 'bob' };
const eve = { id: 'UEVE', name: 'eve' };

function engine(store: MemoryStateStore, policy: unknown = {}, id = 'bot-1'): RemediationEngine {
  return new RemediationEngine({
    store,
    policy: new Policy(policySchema.parse({ verifyDeadlineSeconds: 1, ...(policy as object) }), [restartThing, tidyThing]),
    host,
    actions: [restartThing, tidyThing],
    instanceId: id,
    now,
    verifyPollMs: 10,
    leaseTtlMs: 300,
  });
}

async function pending(e: RemediationEngine, name = 'web'): Promise<RemediationRequest> {
  const out = await e.request({ env: 'local', action: 'restart-thing', args: [name], requester: alice, channel: 'COPS' });
  if (out.kind !== 'done') throw new Error(`not pending: ${JSON.stringify(out)}`);
  return out.request;
}
const bound = (r: RemediationRequest): { previewId: string; digest: string } => ({ previewId: r.preview.id, digest: r.preview.digest });

beforeEach(() => {
  Object.assign(world, { generation: 1, restarts: 0, healthy: true, failNext: false, gate: undefined });
  clock += 10 * 3_600_000;
});

test('happy path: request → preview → approve → execute → verify, every step audited and the chain verifies', async () => {
  const store = new MemoryStateStore(now);
  const e = engine(store);
  const seen: string[] = [];
  e.onChange((r) => seen.push(r.state));
  const r = await pending(e);
  expect(r).toMatchObject({ state: 'pending', preview: { summary: 'Restart web', actionable: true }, expiresAt: clock + 600_000 });
  const out = await e.approve(r.id, bob, bound(r));
  expect(out.kind).toBe('done');
  const done = (out as { request: RemediationRequest }).request;
  expect(done).toMatchObject({ state: 'succeeded', approver: bob, result: { ok: true }, before: [{ check: 'thing-ok', status: 'ok' }], after: [{ check: 'thing-ok', status: 'ok' }], followUps: ['tidy-thing'] });
  expect(done.steps.map((s) => `${s.step}:${s.done}`)).toEqual(['restart web:true']);
  expect(world.restarts).toBe(1);
  expect(seen).toEqual(expect.arrayContaining(['pending', 'approved', 'executing', 'verifying', 'succeeded']));
  const steps = (await e.audit.tail(20)).reverse().map((a) => `${a.step}:${a.actor}`);
  expect(steps).toEqual(['requested:UALICE', 'previewed:UALICE', 'approved:UBOB', 'executing:ws-doctor', 'executed:ws-doctor', 'verified:ws-doctor']);
  expect(await e.audit.verify()).toMatchObject({ ok: true, records: 6 });

  store.tamper('audit', 3, (v) => ({ ...(v as object), actor: 'UEVE' }));
  expect(await e.audit.verify()).toMatchObject({ ok: false, broken: { seq: 3, reason: expect.stringMatching(/edited/) } });
});

test('self-approval and a non-approver are refused; nothing runs; the refusals are audited', async () => {
  const e = engine(new MemoryStateStore(now), { groups: { oncall: ['UBOB', 'UALICE'] }, actions: { 'restart-thing': { approve: ['@oncall'] } } });
  const r = await pending(e);
  expect(await e.approve(r.id, alice, bound(r))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/second person/) });
  expect(await e.approve(r.id, eve, bound(r))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/only @oncall may approve/) });
  expect(world.restarts).toBe(0);
  expect((await e.get(r.id))?.state).toBe('pending');
  expect((await e.audit.tail(2)).map((a) => `${a.step}:${a.actor}`)).toEqual(['refused:UEVE', 'refused:UALICE']);
  expect(await e.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'done', request: { state: 'succeeded' } });
});

test('a request nobody may make is refused before any preview', async () => {
  const e = engine(new MemoryStateStore(now), { actions: { 'restart-thing': { request: ['UBOB'] } } });
  expect(await e.request({ env: 'local', action: 'restart-thing', args: ['web'], requester: alice })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/only <@UBOB> may request/) });
  expect(await e.request({ env: 'local', action: 'restart-thing', args: ['WEB'], requester: bob })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^name: lower-case letters/) });
  expect(await e.request({ env: 'local', action: 'restart-thing', args: [], requester: bob })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^name: missing \(usage: remediate restart-thing <name>\)/) });
});

test('dry run: the preview only, nothing stored but the audit line', async () => {
  const e = engine(new MemoryStateStore(now));
  const out = await e.request({ env: 'local', action: 'restart-thing', args: ['web'], requester: alice, dryRun: true });
  expect(out).toMatchObject({ kind: 'preview', preview: { summary: 'Restart web' } });
  expect(await e.list()).toEqual([]);
  expect((await e.audit.tail(1))[0]?.step).toBe('dry-run');
});

test('expired: approval after 10 minutes is refused, and a sweep marks unanswered requests expired', async () => {
  const e = engine(new MemoryStateStore(now));
  const r = await pending(e);
  clock += 600_000;
  expect(await e.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/expired/) });
  expect((await e.get(r.id))?.state).toBe('expired');
  const r2 = await pending(e);
  clock += 601_000;
  expect((await e.sweep()).map((x) => `${x.id}:${x.state}`)).toEqual([`${r2.id}:expired`]);
  expect(world.restarts).toBe(0);
});

test('double click, Slack retry and a second replica: executed exactly once', async () => {
  const store = new MemoryStateStore(now);
  const a = engine(store, {}, 'bot-a');
  const b = engine(store, {}, 'bot-b');
  const r = await pending(a);
  const outs = await Promise.all([a.approve(r.id, bob, bound(r)), a.approve(r.id, bob, bound(r)), b.approve(r.id, bob, bound(r)), b.approve(r.id, eve, bound(r))]);
  expect(outs.map((o) => o.kind).sort()).toEqual(['already', 'already', 'already', 'done']);
  await a.idle();
  await b.idle();
  expect(world.restarts).toBe(1);
  // A late retry after the end: still nothing.
  expect(await b.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'already', request: { state: 'succeeded' } });
  expect(world.restarts).toBe(1);
});

test('two concurrent requests on one target: one runs, the other is refused because the lock is held', async () => {
  const store = new MemoryStateStore(now);
  const a = engine(store, {}, 'bot-a');
  const b = engine(store, {}, 'bot-b');
  const r1 = await pending(a);
  const r2 = await pending(b);
  let open!: () => void;
  world.gate = new Promise((res) => (open = res));
  const first = a.approve(r1.id, bob, bound(r1));
  await new Promise((res) => setTimeout(res, 50));
  const second = await b.approve(r2.id, bob, bound(r2));
  expect(second).toMatchObject({ kind: 'done', request: { state: 'refused', reason: expect.stringMatching(new RegExp(`another remediation is running on thing:web \\(request ${r1.id}\\)`)) } });
  open();
  expect(await first).toMatchObject({ request: { state: 'succeeded' } });
  expect(world.restarts).toBe(1);
});

test('the card moving (its channel gone → direct messages) while a run goes on never loses the run\'s own steps', async () => {
  const store = new MemoryStateStore(now);
  const e = engine(store);
  const r = await pending(e);
  let open!: () => void;
  world.gate = new Promise((res) => (open = res));
  const states: string[] = [];
  e.onChange((x) => states.push(x.state));
  const run = e.approve(r.id, bob, bound(r));
  await new Promise((res) => setTimeout(res, 50));
  // What the Slack adapter writes when chat.update says is_archived: the card's new place, mid-execution.
  await e.setMessage(r.id, { channel: 'DALICE', ts: '2.2' }, { lostChannel: { channel: 'COPS', error: 'is_archived' } });
  await e.addDirectCopy(r.id, { user: bob.id, channel: 'DBOB', ts: '3.3' });
  open();
  expect(await run).toMatchObject({ kind: 'done', request: { state: 'succeeded' } });
  const stored = await e.get(r.id);
  // The run's steps were stored (the old code refused them as "someone else's write" and the card hung at
  // "executing"), and the card's new place was kept.
  expect(stored).toMatchObject({ state: 'succeeded', message: { channel: 'DALICE', ts: '2.2' }, lostChannel: { error: 'is_archived' }, dms: [{ user: bob.id, channel: 'DBOB' }] });
  expect(states).toContain('succeeded');
  expect(world.restarts).toBe(1);
});

test('a real change by someone else still stops the run\'s write (only the card\'s place is tolerated)', async () => {
  const store = new MemoryStateStore(now);
  const e = engine(store);
  const r = await pending(e);
  let open!: () => void;
  world.gate = new Promise((res) => (open = res));
  const run = e.approve(r.id, bob, bound(r));
  await new Promise((res) => setTimeout(res, 50));
  // Another replica decided the run is dead and marked it (a non-card field changed under the runner).
  const cur = await store.get<RemediationRequest>(`remediation:${r.id}`);
  await store.cas(`remediation:${r.id}`, cur!.version, { ...cur!.value, state: 'interrupted', reason: 'taken over' });
  open();
  await run;
  expect(await e.get(r.id)).toMatchObject({ state: 'interrupted', reason: 'taken over' });
});

test('hourly cap refuses with reason and until when; the breaker opens after failed runs', async () => {
  const e = engine(new MemoryStateStore(now), { breakerFailures: 2, breakerOpenSeconds: 600 });
  for (let i = 0; i < 3; i++) {
    const r = await pending(e);
    await e.approve(r.id, bob, bound(r));
    clock += 1000;
  }
  expect(world.restarts).toBe(3);
  const fourth = await e.request({ env: 'local', action: 'restart-thing', args: ['web'], requester: alice });
  expect(fourth).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/ran 3 times on thing:web in the last hour \(at most 3\); next run allowed at 20\d\d-/) });
  // Another target is not limited; two failures there open its breaker.
  world.failNext = true;
  for (let i = 0; i < 2; i++) {
    const r = await pending(e, 'db');
    expect(await e.approve(r.id, bob, bound(r))).toMatchObject({ request: { state: 'failed' } });
  }
  const refused = await e.request({ env: 'local', action: 'restart-thing', args: ['db'], requester: alice });
  expect(refused).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/circuit breaker open: 2 failed runs .* closes at/) });
  clock += 601_000;
  world.failNext = false;
  expect((await e.request({ env: 'local', action: 'restart-thing', args: ['db'], requester: alice })).kind).toBe('done');
});

test('cooldown between two runs on one target', async () => {
  const e = engine(new MemoryStateStore(now), { actions: { 'restart-thing': { cooldownSeconds: 120 } } });
  const r = await pending(e);
  await e.approve(r.id, bob, bound(r));
  expect(await e.request({ env: 'local', action: 'restart-thing', args: ['web'], requester: alice })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/cooldown: .* next run allowed at/) });
});

test('verification that never passes fails the run with the checks named', async () => {
  const e = engine(new MemoryStateStore(now));
  world.healthy = false;
  const r = await pending(e);
  const out = await e.approve(r.id, bob, bound(r));
  expect(out).toMatchObject({ request: { state: 'failed', reason: expect.stringMatching(/checks did not pass within 1 s: thing-ok/), after: [{ status: 'fail' }] } });
});

test('preview drift: the request goes back to pending with the difference; the old approval cannot be reused', async () => {
  const e = engine(new MemoryStateStore(now));
  const r = await pending(e);
  world.generation = 2; // recreated since the preview
  const out = await e.approve(r.id, bob, bound(r));
  const again = (out as { request: RemediationRequest }).request;
  expect(again).toMatchObject({ state: 'pending', drift: { gone: ['thing:web:1'], added: ['thing:web:2'] } });
  expect(again.preview.id).not.toBe(r.preview.id);
  expect(world.restarts).toBe(0);
  expect(await e.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/another preview/) });
  expect(await e.approve(r.id, bob, bound(again))).toMatchObject({ request: { state: 'succeeded' } });
  expect(world.restarts).toBe(1);
  expect((await e.audit.tail(10)).map((a) => a.step)).toContain('drifted');
});

test('a bot that died mid-execution: the next sweep says interrupted, nothing runs twice', async () => {
  const store = new MemoryStateStore(now);
  const a = engine(store, {}, 'bot-a');
  const r = await pending(a);
  // What a SIGKILLed bot leaves: the request executing, its leases no longer renewed.
  const cur = await store.get<RemediationRequest>(`remediation:${r.id}`);
  await store.put(`remediation:${r.id}`, { ...cur!.value, state: 'executing', holder: 'bot-dead', steps: [{ step: 'restart web', done: false, at: '' }] });
  const lease = await store.acquireLease('lock:local:thing:web', 'bot-dead', 300);
  expect(lease).toBeDefined();
  const b = engine(store, {}, 'bot-b');
  expect(await b.sweep()).toEqual([]); // lease still live: the holder may be alive
  clock += 1000;
  const changed = await b.sweep();
  expect(changed).toMatchObject([{ id: r.id, state: 'interrupted', reason: expect.stringMatching(/stopped during execution \(last step: restart web, in progress\): it was not re-run/) }]);
  expect(world.restarts).toBe(0);
  expect(await b.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'already', request: { state: 'interrupted' } });
  expect((await b.audit.tail(1))[0]).toMatchObject({ step: 'interrupted', actor: 'ws-doctor' });
});

test('deny: the requester withdraws or an approver denies; a stranger cannot', async () => {
  const e = engine(new MemoryStateStore(now), { groups: { oncall: ['UBOB'] }, actions: { 'restart-thing': { approve: ['@oncall'] } } });
  const r = await pending(e);
  expect(await e.deny(r.id, eve)).toMatchObject({ kind: 'refused' });
  expect(await e.deny(r.id, bob)).toMatchObject({ kind: 'done', request: { state: 'denied', decidedBy: bob } });
  expect(await e.approve(r.id, bob, bound(r))).toMatchObject({ kind: 'already' });
});

test('a stop that cut off the running work: an approval arriving after it is refused and leaves the request pending; one already being recorded never starts', async () => {
  const store = new MemoryStateStore(now);
  const e = engine(store);
  const late = await pending(e, 'api');
  const racing = await pending(e, 'web');
  // The approval of `racing` is being recorded (the store answers slowly) when the stop gives up waiting.
  let release: () => void = () => undefined;
  const slowGet = store.get.bind(store);
  let held = false;
  store.get = (async (k: string) => {
    const v = await slowGet(k);
    if (k === `remediation:${racing.id}` && !held) {
      held = true;
      await new Promise<void>((r) => (release = r));
    }
    return v;
  }) as typeof store.get;
  const approving = e.approve(racing.id, bob, bound(racing));
  await new Promise((r) => setTimeout(r, 20));
  expect(await e.interruptRunning('the bot was stopped (shutdown)')).toEqual([]);
  release();
  expect(await approving).toMatchObject({ kind: 'done', request: { state: 'interrupted', reason: expect.stringMatching(/stopped \(shutdown\) before executing it: nothing was done/) } });
  await e.idle();

  expect(await e.approve(late.id, bob, bound(late))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/stopping|stopped \(shutdown\): your approval was not recorded and nothing ran/) });
  expect((await e.get(late.id))?.state).toBe('pending');
  expect(world.restarts).toBe(0);
  expect((await e.audit.tail(20)).filter((a) => a.request === racing.id).map((a) => a.step)).toEqual(expect.arrayContaining(['approved', 'interrupted']));
  expect(await e.audit.verify()).toMatchObject({ ok: true });
});

test('idle() also waits for a run that starts while it is waiting', async () => {
  const e = engine(new MemoryStateStore(now));
  const first = await pending(e, 'api');
  const second = await pending(e, 'web');
  let openFirst: () => void = () => undefined;
  let openSecond: () => void = () => undefined;
  world.gate = new Promise<void>((r) => (openFirst = r));
  const a = e.approve(first.id, bob, bound(first));
  await new Promise((r) => setTimeout(r, 20));
  let idle = false;
  const waiting = e.idle().then(() => (idle = true));
  world.gate = new Promise<void>((r) => (openSecond = r)); // the first run already waits on its own gate
  const b = e.approve(second.id, bob, bound(second));
  await new Promise((r) => setTimeout(r, 20));
  openFirst();
  expect(await a).toMatchObject({ request: { state: 'succeeded' } });
  await new Promise((r) => setTimeout(r, 50));
  expect(idle).toBe(false); // the second run, started after idle() was called, is still going
  openSecond();
  await waiting;
  expect(idle).toBe(true);
  expect(await b).toMatchObject({ request: { state: 'succeeded' } });
});
