/**
 * The alerts core: evaluates rules on schedule, runs the notification pipeline, and offers what adapters call
 * (list, test, acknowledge, silence, maintenance, Alertmanager intake). Knows nothing of Slack: cards go to an
 * IncidentSink. Every mutation runs through one queue (`serial`), so a button click and a tick never interleave
 * their writes to one incident.
 */
import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import type { StateStore } from '../state/store';
import { formatDuration } from '../util/prom-duration';
import { AlertStore } from './alert-store';
import { evaluate, META_RULE, type CheckRunner, type EvaluationResult, type PromQuerier, type RuleError } from './evaluator';
import { fingerprint } from './fingerprint';
import { incidentView } from './pipeline/notify';
import { activeWindow } from './pipeline/maintenance';
import { runPipeline, STAGES } from './pipeline/stages';
import type { Held, PipelineContext, PipelineItem } from './pipeline/types';
import { scheduleEvaluation, type AlertJob } from './schedule';
import type { IncidentSink } from './sink';
import type { FlapPolicy } from './state-machine';
import { newState } from './state-machine';
import type { AlertRule, AlertState, Incident, IncidentView, MaintenanceWindow, Silence } from './types';

export interface AlertServiceOptions {
  store: StateStore;
  sink: IncidentSink;
  rules: readonly AlertRule[];
  envs: readonly string[];
  prometheusFor(env: string): PromQuerier | undefined;
  checks?: CheckRunner;
  defaultChannel: string;
  flap?: FlapPolicy;
  silenceNoticeMs?: number;
  reopenWithinMs?: number;
  /** Maintenance windows from the config (the chat ones live in the store). */
  configMaintenance?: MaintenanceWindow[];
  /** Renders the graph of a newly posted card (PNG); failures are logged, never fatal. */
  graph?: (view: IncidentView) => Promise<{ filename: string; title: string; data: Buffer; altText: string } | undefined>;
  log?: { info(msg: string): void; warn(msg: string): void };
  now?: () => number;
}

export interface AlertListing {
  env: string;
  rule: string;
  phase: AlertState['phase'];
  severity: AlertState['severity'];
  since: number;
  summary: string;
  flapping: boolean;
  silencedUntil?: number;
  heldBy?: string;
  incident?: string;
}

export class AlertService {
  readonly alerts: AlertStore;
  private readonly rulesByName: Map<string, AlertRule>;
  private chain: Promise<unknown> = Promise.resolve();
  private jobs: AlertJob[] = [];
  private readonly background = new Set<Promise<unknown>>();
  private lastHeld = new Map<string, Held>();
  private lastErrors = new Map<string, RuleError[]>();
  private lastResult = new Map<string, EvaluationResult>();
  private readonly now: () => number;

  constructor(private readonly o: AlertServiceOptions) {
    // A row of the wrong shape (hand-edited file, another version) is left out and said once, never fatal.
    this.alerts = new AlertStore(o.store, (key, why) => o.log?.warn(`alert state row ${key} ignored: ${why}`));
    this.rulesByName = new Map(o.rules.map((r) => [r.name, r]));
    this.now = o.now ?? Date.now;
  }

  get rules(): readonly AlertRule[] {
    return this.o.rules;
  }

  /**
   * Start one cron job per distinct interval (each evaluates the rules of that interval in every env); with a
   * run coordinator (replicas) one replica evaluates each tick.
   */
  start(coordinator?: RunCoordinator): void {
    const byInterval = new Map<number, AlertRule[]>();
    for (const r of this.o.rules) byInterval.set(r.intervalMs, [...(byInterval.get(r.intervalMs) ?? []), r]);
    for (const [ms, rules] of byInterval) {
      this.jobs.push(
        scheduleEvaluation(`alerts:${formatDuration(ms)}`, ms, async () => {
          for (const env of this.o.envs) await this.tick(env, rules);
        }, coordinator),
      );
    }
  }

  jobsInfo(): Array<{ name: string; pattern: string; lastRun?: { at: Date; ok: boolean; error?: string } }> {
    return this.jobs.map((j) => {
      const last = j.lastRun();
      return { name: j.name, pattern: j.pattern, ...(last ? { lastRun: last } : {}) };
    });
  }

  async stop(): Promise<void> {
    for (const j of this.jobs) await j.stop();
    this.jobs = [];
    await this.chain.catch(() => undefined);
    await Promise.allSettled([...this.background]);
  }

  /** Wait for queued mutations and background uploads (tests). */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
    await Promise.allSettled([...this.background]);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ── evaluation ───────────────────────────────────────────────────────────────────────────────────────────

  /** One evaluation + delivery for `env` (all rules, or the given ones). */
  tick(env: string, rules: readonly AlertRule[] = this.o.rules): Promise<EvaluationResult> {
    return this.serial(async () => {
      const now = this.now();
      const prom = this.o.prometheusFor(env);
      const result = await evaluate({
        env,
        rules,
        ...(prom ? { prometheus: prom } : {}),
        ...(this.o.checks ? { checks: this.o.checks } : {}),
        store: this.alerts,
        now,
        ...(this.o.flap ? { flap: this.o.flap } : {}),
      });
      this.lastResult.set(env, result);
      this.lastErrors.set(env, result.ruleErrors);
      // Alertmanager's alerts ride along, so cards they share with ours stay consistent.
      const am = (await this.alerts.alerts(env)).filter((a) => a.origin === 'alertmanager');
      // Silence notices first: "silence ended" reads before the "fired again" it lets through.
      await this.silenceNotices(now);
      await this.deliver(env, [...result.alerts, ...am], now);
      return result;
    });
  }

  private async context(env: string, all: AlertState[], now: number): Promise<PipelineContext> {
    const incidents = new Map<string, Incident>();
    // Closed incidents are kept as long as they may reopen (and a day for `/ws alerts` history), then forgotten.
    const keepClosedMs = Math.max(this.o.reopenWithinMs ?? 3_600_000, 86_400_000);
    for (const i of await this.alerts.incidents()) {
      if (i.closedAt !== undefined && now - i.closedAt > keepClosedMs) await this.alerts.deleteIncident(i.key);
      else incidents.set(i.key, i);
    }
    return {
      now,
      env,
      rules: this.rulesByName,
      alerts: new Map(all.map((a) => [a.fingerprint, a] as const)),
      incidents,
      silences: await this.alerts.silences(),
      maintenance: await this.maintenanceWindows(),
      store: this.alerts,
      sink: this.o.sink,
      defaultChannel: this.o.defaultChannel,
      reopenWithinMs: this.o.reopenWithinMs ?? 3_600_000,
      held: [],
      onCardPosted: (view) => this.afterPost(view),
      ...(this.o.log ? { log: this.o.log } : {}),
    };
  }

  private async deliver(env: string, all: AlertState[], now: number, items?: PipelineItem[]): Promise<PipelineItem[]> {
    const ctx = await this.context(env, all, now);
    const input = items ?? all.map((alert) => ({ alert, ...(this.rulesByName.get(alert.rule) ? { rule: this.rulesByName.get(alert.rule)! } : {}) }));
    const delivered = await runPipeline(input, ctx, STAGES);
    for (const [k, v] of this.lastHeld) if (k.startsWith(`${env}:`)) this.lastHeld.delete(k);
    for (const h of ctx.held) this.lastHeld.set(`${env}:${h.fingerprint}`, h);
    return delivered;
  }

  private afterPost(view: IncidentView): void {
    const graph = this.o.graph;
    const upload = this.o.sink.uploadFile;
    if (!graph || !upload) return;
    const job = (async () => {
      const file = await graph(view);
      if (!file) return;
      await upload.call(this.o.sink, view, file);
      await this.serial(async () => {
        const inc = await this.alerts.incident(view.incident.key);
        if (inc) await this.alerts.putIncident({ ...inc, graphPosted: true });
      });
    })().catch((err: Error) => this.o.log?.warn(`graph for ${view.incident.key} not uploaded: ${err.message}`));
    this.background.add(job);
    void job.finally(() => this.background.delete(job));
  }

  // ── silences ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Thread notices shortly before a silence ends, and when it has ended (the card is redrawn then). */
  private async silenceNotices(now: number): Promise<void> {
    const before = this.o.silenceNoticeMs ?? 5 * 60_000;
    for (const s of await this.alerts.silences()) {
      if (!s.incident) continue;
      const ending = !s.noticeSent && s.endsAt - now <= before && now < s.endsAt;
      const ended = now >= s.endsAt;
      if (!ending && !ended) continue;
      const view = await this.viewOf(s.incident, now);
      if (ending) {
        if (view) await this.o.sink.threadNote(view, { kind: 'silence-expiring', text: `Silence by ${s.createdBy} ends in ${formatDuration(s.endsAt - now)} (at ${new Date(s.endsAt).toISOString()}).`, mentions: [s.createdBy] });
        await this.alerts.putSilence({ ...s, noticeSent: true });
      } else {
        if (view) {
          await this.o.sink.threadNote(view, { kind: 'silence-ended', text: `Silence by ${s.createdBy} has ended; notifications are back on.`, mentions: [s.createdBy] });
          await this.o.sink.updateCard(view);
        }
        await this.alerts.deleteSilence(s.id);
      }
    }
  }

  private async viewOf(key: string, now = this.now()): Promise<IncidentView | undefined> {
    const inc = await this.alerts.incident(key);
    if (!inc) return undefined;
    const live = new Map((await this.alerts.alerts(inc.env)).map((a) => [a.fingerprint, a] as const));
    return await incidentView(inc, {
      alerts: live,
      rules: this.rulesByName,
      silences: await this.alerts.silences(),
      maintenance: await this.maintenanceWindows(),
      store: this.alerts,
      now,
    });
  }

  /** The incident as a card would show it (adapters: Run diagnostics, redraws). */
  view(key: string): Promise<IncidentView | undefined> {
    return this.viewOf(key);
  }

  acknowledge(key: string, user: string): Promise<{ ok: boolean; message: string }> {
    return this.serial(async () => {
      const inc = await this.alerts.incident(key);
      if (!inc) return { ok: false, message: 'That incident is no longer known (resolved long ago?).' };
      if (inc.ackedBy) return { ok: true, message: `Already acknowledged by ${inc.ackedBy.user}.` };
      await this.alerts.putIncident({ ...inc, ackedBy: { user, at: this.now() } });
      const view = await this.viewOf(key);
      if (view) {
        await this.o.sink.updateCard(view);
        await this.o.sink.threadNote(view, { kind: 'ack', text: `Acknowledged by ${user}.`, mentions: [user] });
      }
      return { ok: true, message: `Acknowledged ${inc.title}.` };
    });
  }

  /** Silence every alert of an incident for `durationMs`; persisted, announced, expiring with a notice. */
  silenceIncident(key: string, durationMs: number, user: string, comment = ''): Promise<{ ok: boolean; message: string; silence?: Silence }> {
    return this.serial(async () => {
      const inc = await this.alerts.incident(key);
      if (!inc) return { ok: false, message: 'That incident is no longer known (resolved long ago?).' };
      // Chat offers 1 h / 4 h and checks typed lengths (≥ 1 min); the core only refuses nonsense.
      if (!(durationMs >= 1000 && durationMs <= 30 * 86_400_000)) return { ok: false, message: 'A silence lasts between 1 second and 30 days.' };
      const now = this.now();
      const live = new Map((await this.alerts.alerts(inc.env)).map((a) => [a.fingerprint, a] as const));
      const rulesOf = [...new Set(inc.members.map((fp) => live.get(fp)?.rule).filter((r): r is string => Boolean(r)))];
      let last: Silence | undefined;
      for (const rule of rulesOf.length ? rulesOf : [inc.title]) {
        const s: Silence = { id: randomUUID(), matchers: { alertname: rule }, env: inc.env, startsAt: now, endsAt: now + durationMs, createdBy: user, comment, incident: key };
        await this.alerts.putSilence(s);
        last = s;
      }
      const view = await this.viewOf(key, now);
      if (view) {
        await this.o.sink.updateCard(view);
        await this.o.sink.threadNote(view, {
          kind: 'silence',
          text: `Silenced by ${user} for ${formatDuration(durationMs)} (until ${new Date(now + durationMs).toISOString()})${comment ? `: ${comment}` : ''}.`,
          mentions: [user],
        });
      }
      return { ok: true, message: `Silenced ${inc.title} for ${formatDuration(durationMs)}.`, ...(last ? { silence: last } : {}) };
    });
  }

  /** Silence a rule by name: its open incident when it has one (card and thread told), else the rule alone. */
  async silenceRule(rule: string, env: string, durationMs: number, user: string, comment = ''): Promise<{ ok: boolean; message: string }> {
    if (!this.rulesByName.has(rule)) return { ok: false, message: `No rule named ${rule}.` };
    const live = await this.alerts.alerts(env);
    const open = (await this.openIncidents()).find((i) => i.env === env && i.members.some((fp) => live.find((a) => a.fingerprint === fp)?.rule === rule));
    if (open) return await this.silenceIncident(open.key, durationMs, user, comment);
    return await this.serial(async () => {
      const now = this.now();
      await this.alerts.putSilence({ id: randomUUID(), matchers: { alertname: rule }, env, startsAt: now, endsAt: now + durationMs, createdBy: user, comment });
      return { ok: true, message: `Silenced ${rule} for ${formatDuration(durationMs)} (no open incident).` };
    });
  }

  // ── maintenance ──────────────────────────────────────────────────────────────────────────────────────────

  async maintenanceWindows(): Promise<MaintenanceWindow[]> {
    return [...(this.o.configMaintenance ?? []), ...(await this.alerts.maintenance())];
  }

  startMaintenance(env: string, durationMs: number, reason: string, user: string): Promise<MaintenanceWindow> {
    return this.serial(async () => {
      const now = this.now();
      const w: MaintenanceWindow = { id: randomUUID(), env, startsAt: now, endsAt: now + durationMs, reason, createdBy: user, from: 'chat' };
      await this.alerts.putMaintenance(w);
      return w;
    });
  }

  async activeMaintenance(env: string): Promise<MaintenanceWindow | undefined> {
    return activeWindow(await this.maintenanceWindows(), env, this.now());
  }

  // ── listing and testing ──────────────────────────────────────────────────────────────────────────────────

  async list(env?: string): Promise<{ alerts: AlertListing[]; errors: RuleError[]; prometheusDown?: string }> {
    const now = this.now();
    const envs = env ? [env] : this.o.envs;
    const silences = await this.alerts.silences();
    const out: AlertListing[] = [];
    const errors: RuleError[] = [];
    let prometheusDown: string | undefined;
    for (const e of envs) {
      errors.push(...(this.lastErrors.get(e) ?? []));
      prometheusDown ??= this.lastResult.get(e)?.prometheusDown;
      for (const a of await this.alerts.alerts(e)) {
        if (a.phase !== 'firing' && a.phase !== 'pending') continue;
        const s = silences.find((x) => x.env === a.env && x.startsAt <= now && now < x.endsAt && x.matchers.alertname === a.rule);
        const held = this.lastHeld.get(`${e}:${a.fingerprint}`);
        out.push({
          env: a.env,
          rule: a.rule,
          phase: a.phase,
          severity: a.severity,
          since: (a.phase === 'firing' ? a.firedAt : a.activeSince) ?? a.lastEvalAt,
          summary: a.annotations.summary ?? a.summary ?? '',
          flapping: a.flapping,
          ...(s ? { silencedUntil: s.endsAt } : {}),
          ...(held ? { heldBy: held.reason } : {}),
          ...(a.notified?.incident ? { incident: a.notified.incident } : {}),
        });
      }
    }
    const rank = { firing: 0, pending: 1, resolved: 2, inactive: 3 } as const;
    out.sort((x, y) => rank[x.phase] - rank[y.phase] || x.since - y.since);
    return { alerts: out, errors, ...(prometheusDown ? { prometheusDown } : {}) };
  }

  /** A test notification through every stage, to the rule's channel, clearly marked as a test. */
  test(ruleName: string, env: string, user: string): Promise<{ ok: boolean; message: string; incident?: string }> {
    return this.serial(async () => {
      const rule = this.rulesByName.get(ruleName);
      if (!rule) return { ok: false, message: `No rule named \`${ruleName}\`.` };
      const now = this.now();
      const labels = { ...rule.labels, alertname: rule.name, test: `${user}-${now}` };
      const fp = fingerprint(env, `test:${rule.name}`, labels);
      const base = newState({ fingerprint: fp, rule: rule.name, env, origin: 'rule', labels, annotations: { ...rule.annotations, summary: `TEST — ${rule.annotations.summary ?? rule.name}` }, severity: rule.severity }, now);
      const alert: AlertState = { ...base, phase: 'firing', firedAt: now, activeSince: now, test: true, summary: `Test notification requested by ${user}` };
      const delivered = await this.deliver(env, [alert], now, [{ alert, rule }]);
      const key = delivered[0]?.incidentKey;
      // The test is over at once: the card turns green (still marked as a test) and the alert is never stored.
      const resolved: AlertState = { ...alert, phase: 'resolved', resolvedAt: now };
      if (delivered.length) await this.deliver(env, [resolved], now, [{ alert: resolved, rule }]);
      return delivered.length
        ? { ok: true, message: `Test notification for ${rule.name} sent.`, ...(key ? { incident: key } : {}) }
        : { ok: false, message: 'The test notification was not delivered (see the logs).' };
    });
  }

  // ── Alertmanager ─────────────────────────────────────────────────────────────────────────────────────────

  /** Alerts from an Alertmanager webhook: upserted as alert states, delivered at once through the pipeline. */
  receiveAlertmanager(env: string, incoming: AlertState[]): Promise<number> {
    return this.serial(async () => {
      const now = this.now();
      const merged: AlertState[] = [];
      for (const a of incoming) {
        const prev = await this.alerts.alert(env, a.fingerprint);
        const st: AlertState = { ...a, ...(prev?.notified ? { notified: prev.notified } : {}), transitions: prev?.transitions ?? [] };
        await this.alerts.putAlert(st);
        merged.push(st);
      }
      const all = [...(await this.alerts.alerts(env))];
      await this.deliver(env, all, now, merged.map((alert) => ({ alert })));
      return merged.length;
    });
  }

  /** The meta-alert's fingerprint for env (tests, `/ws alerts`). */
  static metaFingerprint(env: string): string {
    return fingerprint(env, META_RULE, { alertname: META_RULE });
  }

  /** Open incidents, newest first. */
  async openIncidents(): Promise<Incident[]> {
    return (await this.alerts.incidents()).filter((i) => i.closedAt === undefined).sort((a, b) => b.openedAt - a.openedAt);
  }
}
