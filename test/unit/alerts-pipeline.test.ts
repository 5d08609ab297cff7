/**
 * The alert path as pure logic: state machine, each pipeline stage alone, and the service end to end over an
 * in-memory store, a scripted Prometheus answer and a recording sink. (The same path against real Prometheus
 * and the Slack stand-in: test/integration/alerts.test.ts.)
 */
import { AlertStore } from '../../src/alerts/alert-store';
import type { PromQuerier } from '../../src/alerts/evaluator';
import { dedupStage } from '../../src/alerts/pipeline/dedup';
import { dependencySuppressStage } from '../../src/alerts/pipeline/dependency-suppress';
import { groupStage } from '../../src/alerts/pipeline/group';
import { maintenanceStage } from '../../src/alerts/pipeline/maintenance';
import { silenceStage } from '../../src/alerts/pipeline/silence';
import { STAGES } from '../../src/alerts/pipeline/stages';
import type { PipelineContext, PipelineItem } from '../../src/alerts/pipeline/types';
import { parseRuleText } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import type { IncidentSink } from '../../src/alerts/sink';
import { advance, newState } from '../../src/alerts/state-machine';
import type { AlertState, CardRef, IncidentView, ThreadNote } from '../../src/alerts/types';
import type { PromQueryResult } from '../../src/targets/prometheus';
import { MemoryStateStore as MemoryStore } from '../../src/state/memory-store';

const base = (over: Partial<AlertState> = {}): AlertState => ({
  ...newState({ fingerprint: over.fingerprint ?? 'fp1', rule: over.rule ?? 'A', env: 'demo', origin: 'rule', labels: { alertname: over.rule ?? 'A' }, annotations: {}, severity: 'warning' }, 0),
  ...over,
});

describe('state machine', () => {
  const timed = (active: boolean) => ({ kind: 'timed' as const, active, forMs: 3000, keepFiringForMs: 0 });
  test('inactive → pending → firing after `for` → resolved', () => {
    let s = base();
    s = advance(s, timed(true), 1000);
    expect(s.phase).toBe('pending');
    s = advance(s, timed(true), 3000);
    expect(s.phase).toBe('pending');
    s = advance(s, timed(true), 4000);
    expect(s).toMatchObject({ phase: 'firing', firedAt: 4000 });
    s = advance(s, timed(false), 5000);
    expect(s).toMatchObject({ phase: 'resolved', resolvedAt: 5000 });
  });
  test('pending that clears never fires; keep_firing_for holds a firing alert', () => {
    expect(advance(advance(base(), timed(true), 0), timed(false), 1000).phase).toBe('inactive');
    let s = advance(base(), { kind: 'timed', active: true, forMs: 0, keepFiringForMs: 5000 }, 0);
    s = advance(s, { kind: 'timed', active: false, forMs: 0, keepFiringForMs: 5000 }, 4000);
    expect(s.phase).toBe('firing');
    s = advance(s, { kind: 'timed', active: false, forMs: 0, keepFiringForMs: 5000 }, 5000);
    expect(s.phase).toBe('resolved');
  });
  test('check rules: N fails in a row fire, M passes resolve; unknown changes nothing', () => {
    const c = (failing: boolean) => ({ kind: 'counted' as const, failing, failAfter: 3, resolveAfter: 2 });
    let s = base();
    for (const t of [1, 2]) s = advance(s, c(true), t);
    expect(s.phase).toBe('pending');
    s = advance(s, c(false), 3);
    expect(s.phase).toBe('inactive');
    for (const t of [4, 5, 6]) s = advance(s, c(true), t);
    expect(s.phase).toBe('firing');
    s = advance(s, { kind: 'unknown' }, 7);
    expect(s.phase).toBe('firing');
    s = advance(s, c(false), 8);
    expect(s.phase).toBe('firing');
    s = advance(s, c(false), 9);
    expect(s.phase).toBe('resolved');
  });
  test('flapping: 4 changes within the window mark it; a quiet window clears it', () => {
    const c = (failing: boolean) => ({ kind: 'counted' as const, failing, failAfter: 1, resolveAfter: 1 });
    const flap = { transitions: 4, windowMs: 10_000 };
    let s = base();
    [true, false, true].forEach((f, i) => (s = advance(s, c(f), i * 1000, flap)));
    expect(s.flapping).toBe(false);
    s = advance(s, c(false), 3000, flap);
    expect(s.flapping).toBe(true);
    s = advance(s, c(false), 14_000, flap);
    expect(s.flapping).toBe(false);
  });
});

function ctxOf(over: Partial<PipelineContext> = {}): PipelineContext {
  const store = new AlertStore(new MemoryStore());
  return {
    now: 10_000,
    env: 'demo',
    rules: new Map(),
    alerts: new Map(),
    incidents: new Map(),
    silences: [],
    maintenance: [],
    store,
    sink: recordingSink(),
    defaultChannel: 'C1',
    reopenWithinMs: 3_600_000,
    held: [],
    ...over,
  };
}

describe('stages, each alone', () => {
  const rules = new Map(
    parseRuleText(
      `groups:\n  - name: g\n    rules:\n      - alert: RedisDown\n        expr: up == 0\n      - alert: Token5xx\n        expr: up == 0\n        depends_on: [RedisDown]\n`,
      'r.yml',
      { defaultIntervalMs: 1000 },
    ).rules.map((r) => [r.name, r] as const),
  );
  const cause = base({ fingerprint: 'c', rule: 'RedisDown', phase: 'firing', firedAt: 1 });
  const symptom = base({ fingerprint: 's', rule: 'Token5xx', phase: 'firing', firedAt: 2 });

  test('group: a symptom joins its firing cause\'s incident; check alerts share the diagnosis cause', async () => {
    const ctx = ctxOf({ rules, alerts: new Map([['c', cause], ['s', symptom]]) });
    const out = await groupStage.run([{ alert: cause }, { alert: symptom }], ctx);
    expect(out[0]).toMatchObject({ incidentKey: 'alert:demo:c', rootFingerprint: 'c' });
    expect(out[1]).toMatchObject({ incidentKey: 'alert:demo:c', rootFingerprint: 'c', cause: { kind: 'alert', id: 'RedisDown' } });
    const a = base({ fingerprint: 'x', rule: 'X', phase: 'firing', cause: { id: 'redis-down', title: 'Redis is down' } });
    const [g] = await groupStage.run([{ alert: a }], ctxOf());
    expect(g).toMatchObject({ incidentKey: 'cause:demo:redis-down', incidentTitle: 'Redis is down', cause: { kind: 'diagnosis' } });
  });

  test('group: with the cause resolved, the symptom is its own incident', async () => {
    const ctx = ctxOf({ rules, alerts: new Map([['c', { ...cause, phase: 'resolved' as const }], ['s', symptom]]) });
    const [g] = await groupStage.run([{ alert: symptom }], ctx);
    expect(g).toMatchObject({ incidentKey: 'alert:demo:s', rootFingerprint: 's' });
  });

  test('dependency-suppress: symptoms go quiet and are recorded as held', async () => {
    const ctx = ctxOf();
    const items: PipelineItem[] = [
      { alert: cause, rootFingerprint: 'c' },
      { alert: symptom, rootFingerprint: 'c', incidentTitle: 'Redis' },
    ];
    const out = await dependencySuppressStage.run(items, ctx);
    expect(out.map((i) => Boolean(i.quiet))).toEqual([false, true]);
    expect(ctx.held).toEqual([expect.objectContaining({ fingerprint: 's', stage: 'dependency-suppress' })]);
  });

  test('maintenance: holds everything but tests while a window of this env is open', async () => {
    const w = { id: 'w', env: 'demo', startsAt: 0, endsAt: 20_000, reason: 'upgrade', createdBy: 'u', from: 'chat' as const };
    const test = base({ fingerprint: 't', test: true, phase: 'firing' });
    expect(await maintenanceStage.run([{ alert: cause }, { alert: test }], ctxOf({ maintenance: [w] }))).toEqual([{ alert: test }]);
    expect(await maintenanceStage.run([{ alert: cause }], ctxOf({ maintenance: [{ ...w, env: 'prod' }] }))).toHaveLength(1);
    expect(await maintenanceStage.run([{ alert: cause }], ctxOf({ maintenance: [{ ...w, endsAt: 10_000 }] }))).toHaveLength(1);
  });

  test('silence: matches alertname + env while active; a resolve passes', async () => {
    const s = { id: 's', matchers: { alertname: 'RedisDown' }, env: 'demo', startsAt: 0, endsAt: 20_000, createdBy: 'ann', comment: '' };
    expect(await silenceStage.run([{ alert: cause }, { alert: symptom }], ctxOf({ silences: [s] }))).toEqual([{ alert: symptom }]);
    expect(await silenceStage.run([{ alert: { ...cause, phase: 'resolved' } }], ctxOf({ silences: [s] }))).toHaveLength(1);
    expect(await silenceStage.run([{ alert: cause }], ctxOf({ silences: [{ ...s, endsAt: 5000 }] }))).toHaveLength(1);
  });

  test('dedup: only what differs from what was delivered; pending never; unannounced resolves silently', async () => {
    const ctx = ctxOf();
    const delivered = { ...cause, notified: { phase: 'firing' as const, flapping: false, at: 1, incident: 'k' } };
    const out = await dedupStage.run(
      [
        { alert: delivered, incidentKey: 'k' },
        { alert: { ...delivered, phase: 'resolved' }, incidentKey: 'k' },
        { alert: base({ fingerprint: 'p', phase: 'pending' }) },
        { alert: base({ fingerprint: 'r', phase: 'resolved' }) },
      ],
      ctx,
    );
    expect(out.map((i) => i.alert.phase)).toEqual(['resolved']);
    expect((await ctx.store.alert('demo', 'r'))?.notified?.phase).toBe('resolved');
  });

  test('the registry lists the stages in Alertmanager order', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['group', 'dependency-suppress', 'maintenance', 'silence', 'dedup', 'notify']);
  });
});

interface SinkLog {
  posts: IncidentView[];
  updates: IncidentView[];
  notes: Array<{ key: string; note: ThreadNote }>;
}

function recordingSink(): IncidentSink & SinkLog {
  let n = 0;
  const log: SinkLog = { posts: [], updates: [], notes: [] };
  return {
    ...log,
    async postCard(view: IncidentView, channel: string): Promise<CardRef> {
      log.posts.push(view);
      return { channel, ts: `${++n}.000` };
    },
    async updateCard(view: IncidentView) {
      log.updates.push(view);
    },
    async threadNote(view: IncidentView, note: ThreadNote) {
      log.notes.push({ key: view.incident.key, note });
    },
    get posts() {
      return log.posts;
    },
    get updates() {
      return log.updates;
    },
    get notes() {
      return log.notes;
    },
  };
}

class ScriptedProm implements PromQuerier {
  readonly url = 'http://prom.test';
  answers = new Map<string, PromQueryResult>();
  down = false;
  async query(expr: string): Promise<PromQueryResult> {
    if (this.down) return { kind: 'unavailable', error: 'refused: ECONNREFUSED', latencyMs: 0 };
    return this.answers.get(expr) ?? { kind: 'ok', series: [], latencyMs: 0 };
  }
  set(expr: string, value: number | undefined): void {
    this.answers.set(expr, { kind: 'ok', series: value === undefined ? [] : [{ labels: { instance: 'web:8000' }, value }], latencyMs: 0 });
  }
}

describe('AlertService over a scripted Prometheus', () => {
  const RULES = `groups:
  - name: g
    rules:
      - alert: RedisDown
        expr: redis_down
        annotations: { summary: Redis is down }
      - alert: Token5xx
        expr: token_5xx
        for: 2s
        depends_on: [RedisDown]
        annotations: { summary: 'Token endpoint 5xx at {{ $value }}' }
`;
  function setup() {
    let now = 100_000;
    const store = new MemoryStore(() => now);
    const prom = new ScriptedProm();
    const sink = recordingSink();
    const rules = parseRuleText(RULES, 'r.yml', { defaultIntervalMs: 1000 }).rules;
    const make = () =>
      new AlertService({ store, sink, rules, envs: ['demo'], prometheusFor: () => prom, defaultChannel: 'C1', now: () => now, silenceNoticeMs: 60_000 });
    return { store, prom, sink, make, advance: (ms: number) => (now += ms), get now() { return now; } };
  }

  test('root cause and symptom share one card; resolve turns it green with a thread note', async () => {
    const t = setup();
    const svc = t.make();
    t.prom.set('redis_down', 1);
    t.prom.set('token_5xx', 7);
    await svc.tick('demo');
    expect(t.sink.posts).toHaveLength(1);
    expect(t.sink.posts[0]!.root.rule).toBe('RedisDown');
    t.advance(3000);
    await svc.tick('demo'); // Token5xx fires after `for`: joins RedisDown's card, says nothing itself
    expect(t.sink.posts).toHaveLength(1);
    const last = t.sink.updates.at(-1)!;
    expect(last.symptoms.map((s) => s.rule)).toEqual(['Token5xx']);
    expect(t.sink.notes).toEqual([]);
    t.prom.set('redis_down', undefined);
    t.prom.set('token_5xx', undefined);
    t.advance(1000);
    await svc.tick('demo');
    expect(t.sink.updates.at(-1)!.status).toBe('resolved');
    expect(t.sink.notes.map((n) => n.note.text)).toEqual([expect.stringMatching(/^RedisDown resolved after/)]);
  });

  test('a restart re-posts nothing and forgets nothing', async () => {
    const t = setup();
    t.prom.set('redis_down', 1);
    await t.make().tick('demo');
    const again = t.make();
    t.advance(1000);
    await again.tick('demo');
    expect(t.sink.posts).toHaveLength(1);
    expect((await again.list('demo')).alerts).toEqual([expect.objectContaining({ rule: 'RedisDown', phase: 'firing' })]);
  });

  test('Prometheus down: one meta-alert after two ticks, no false resolve; back up resolves the meta-alert only', async () => {
    const t = setup();
    const svc = t.make();
    t.prom.set('redis_down', 1);
    await svc.tick('demo');
    t.prom.down = true;
    for (let i = 0; i < 3; i++) {
      t.advance(1000);
      await svc.tick('demo');
    }
    expect(t.sink.posts.map((p) => p.root.rule)).toEqual(['RedisDown', 'AlertRulesUnevaluable']);
    expect(t.sink.notes.filter((n) => n.note.kind === 'resolved')).toEqual([]);
    expect((await svc.list('demo')).alerts.find((a) => a.rule === 'RedisDown')?.phase).toBe('firing');
    t.prom.down = false;
    t.advance(1000);
    await svc.tick('demo');
    expect(t.sink.notes.map((n) => n.note.text)).toEqual([expect.stringMatching(/^AlertRulesUnevaluable resolved/)]);
    expect((await svc.list('demo')).alerts.map((a) => a.rule)).toEqual(['RedisDown']);
  });

  test('silence: holds repeats, sends the expiry notice, then ends with a notice', async () => {
    const t = setup();
    const svc = t.make();
    t.prom.set('redis_down', 1);
    await svc.tick('demo');
    const key = (await svc.openIncidents())[0]!.key;
    const r = await svc.silenceIncident(key, 120_000, 'ann', 'working on it');
    expect(r.ok).toBe(true);
    t.prom.set('redis_down', undefined);
    t.advance(1000);
    await svc.tick('demo'); // resolves: passes the silence (card turns green)
    t.prom.set('redis_down', 1);
    t.advance(1000);
    await svc.tick('demo'); // fires again inside the silence: held
    expect(t.sink.notes.map((n) => n.note.kind)).toEqual(['silence', 'resolved']);
    t.advance(60_000);
    await svc.tick('demo');
    expect(t.sink.notes.map((n) => n.note.kind)).toEqual(['silence', 'resolved', 'silence-expiring']);
    t.advance(60_000);
    await svc.tick('demo');
    expect(t.sink.notes.map((n) => n.note.kind)).toEqual(['silence', 'resolved', 'silence-expiring', 'silence-ended', 'repeat']);
  });

  test('maintenance: an alert firing before the window is not re-announced after it; one that changed is', async () => {
    const t = setup();
    const svc = t.make();
    t.prom.set('redis_down', 1);
    await svc.tick('demo');
    await svc.startMaintenance('demo', 10_000, 'upgrade', 'ann');
    t.prom.set('token_5xx', 3);
    for (let i = 0; i < 4; i++) {
      t.advance(1000);
      await svc.tick('demo');
    }
    const during = t.sink.updates.length;
    expect(t.sink.posts).toHaveLength(1);
    t.advance(10_000);
    await svc.tick('demo');
    expect(t.sink.posts).toHaveLength(1); // RedisDown unchanged: not re-announced
    expect(t.sink.updates.length).toBe(during + 1); // Token5xx (new during the window) joins the card now
    expect(t.sink.updates.at(-1)!.symptoms.map((s) => s.rule)).toEqual(['Token5xx']);
  });

  test('test notifications go through every stage, marked as a test, even in maintenance', async () => {
    const t = setup();
    const svc = t.make();
    await svc.startMaintenance('demo', 60_000, 'upgrade', 'ann');
    const r = await svc.test('Token5xx', 'demo', 'bob');
    expect(r.ok).toBe(true);
    expect(t.sink.posts[0]!.root).toMatchObject({ test: true, annotations: { summary: expect.stringMatching(/^TEST/) } });
    // Over at once: the card turns green, nothing of the test is left in the store to be evaluated later.
    expect(t.sink.updates.at(-1)).toMatchObject({ status: 'resolved', root: { test: true } });
    expect((await new AlertStore(t.store).alerts('demo')).filter((a) => a.test)).toEqual([]);
    expect(await svc.test('Nope', 'demo', 'bob')).toMatchObject({ ok: false });
  });
});

test('an env without a Prometheus: its Prometheus rules are not asked, and no "cannot evaluate rules" meta-alert fires', async () => {
  const store = new MemoryStore();
  const sink = recordingSink();
  const rules = parseRuleText('groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: vector(1) > 0\n', 'r.yml', { defaultIntervalMs: 1000 }).rules;
  let now = 1_000_000;
  const svc = new AlertService({ store, sink, rules, envs: ['demo'], prometheusFor: () => undefined, defaultChannel: 'C1', now: () => now });
  for (let i = 0; i < 4; i++) {
    const r = await svc.tick('demo');
    expect(r.prometheusDown).toBeUndefined();
    expect(r.queries).toBe(0);
    now += 1000;
  }
  expect((await svc.list('demo')).alerts).toEqual([]);
  expect(sink.posts).toHaveLength(0);
});
