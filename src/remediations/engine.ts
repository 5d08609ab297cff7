/**
 * The remediation flow, the same for every action and every adapter:
 *
 *   request → preview → approval → guards → execute → verify, every step audited.
 *
 * - Request: policy (who, which channel), guards (cooldown, hourly cap, breaker), then the preview (dry run).
 *   Nothing actionable = nothing to approve. The pending request lives in the state store with its preview
 *   id and digest, and expires (default 10 min).
 * - Approval: policy (who; never the requester unless low-risk + selfApprove; before expiry; for this preview).
 *   The pending → approved transition is a compare-and-set: a double click, a Slack retry or a second replica
 *   gets "already approved", never a second execution.
 * - Guards at execution: cooldown/cap/breaker again; one lease per target with a fencing token (renewed while
 *   running; losing it aborts the action); the preview recomputed and compared — a different digest puts the
 *   request back to pending with the difference shown, to be approved again.
 * - Execute with progress, then verify: the action's checks re-run until they pass or the deadline passes,
 *   before and after kept for the thread.
 * - A bot killed mid-execution leaves the request `executing` with expired leases: the next sweep (at start
 *   and every few seconds, on any replica) marks it `interrupted` and says so. It is never run twice.
 *
 * Adapters subscribe with onChange() and render the request (chat/remediation-message.ts); nothing here knows
 * Slack.
 */
import { isDeepStrictEqual } from 'node:util';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Finding } from '../checks/types';
import type { EnvConfig } from '../config/schema';
import type { Lease, StateStore } from '../state/store';
import type { Targets } from '../targets/targets';
import { redact } from '../telemetry/redact';
import { AuditLog, type AuditEntry } from './audit';
import { touchDiff, touchDigest } from './digest';
import { Guards } from './guards';
import { type Principal, Policy } from './policy';
import { findAction as findInRegistry } from './registry';
import { FINAL_STATES, type CheckLine, type RemediationRequest, type StoredPreview } from './request';
import type { ActionContext, AnyAction, Preview } from './types';

export interface RemediationHost {
  envNames(): string[];
  envConfig(env: string): EnvConfig | undefined;
  targetsOf(env: string): Targets;
  /** Run the named checks (dependencies included) and return their findings. */
  runChecks(env: string, names: readonly string[]): Promise<Finding[]>;
}

export interface EngineOptions {
  store: StateStore;
  policy: Policy;
  host: RemediationHost;
  actions?: readonly AnyAction[];
  instanceId?: string;
  now?: () => number;
  /** Lease TTL of a target lock; renewed every third of it while the action runs. Default 30 s. */
  leaseTtlMs?: number;
  /** Pause between verification attempts. Default 3 s. */
  verifyPollMs?: number;
  /** How long an `approved` request may sit before a sweep calls it interrupted. Default 60 s. */
  approvedStaleMs?: number;
  /** Bound on one preview. Default 15 s. */
  previewTimeoutMs?: number;
}

export type Outcome =
  | { kind: 'done'; request: RemediationRequest }
  | { kind: 'preview'; preview: StoredPreview; action: AnyAction; env: string; args: Record<string, string> }
  /** Refused before anything was stored or changed (policy, bad arguments, guard at request time). */
  | { kind: 'refused'; reason: string; request?: RemediationRequest }
  /** Somebody else already decided (double click, retry, second replica): the current state, nothing done. */
  | { kind: 'already'; request: RemediationRequest };

export interface RequestInput {
  env: string;
  action: string;
  /** Positional arguments in the order of the action's params. */
  args: readonly string[];
  requester: Principal;
  channel?: string;
  dryRun?: boolean;
}

const KEEP_MS = 7 * 86_400_000;
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class RemediationEngine {
  readonly audit: AuditLog;
  readonly instanceId: string;
  private readonly guards: Guards;
  private readonly actions: readonly AnyAction[];
  private readonly listeners: Array<(r: RemediationRequest) => void> = [];
  private readonly running = new Map<string, Promise<Outcome>>();
  /** What shutdown needs of a run holding its locks: stop the action, give the locks back. */
  private readonly live = new Map<string, { abort: AbortController; release: () => Promise<void> }>();
  /** Runs shutdown recorded as interrupted: they write nothing more (the process is going away). */
  private readonly cutOff = new Set<string>();
  /** Set by interruptRunning: this instance is going away and starts no more runs (why, for the presser). */
  private closing: string | undefined;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: EngineOptions) {
    this.now = opts.now ?? Date.now;
    this.instanceId = opts.instanceId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.audit = new AuditLog(opts.store, this.instanceId, this.now);
    this.guards = new Guards(opts.store, this.now);
    this.actions = opts.actions ?? [];
  }

  get policy(): Policy {
    return this.opts.policy;
  }

  findAction(id: string): AnyAction | undefined {
    return this.actions.length ? this.actions.find((a) => a.id === id) : findInRegistry(id);
  }

  onChange(listener: (r: RemediationRequest) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private emit(r: RemediationRequest): void {
    for (const l of this.listeners) {
      try {
        l(r);
      } catch {
        // A broken adapter (Slack down) must not break the flow; the state is in the store.
      }
    }
  }

  /** Sweep now, then every `everyMs`: expire pending requests, mark executions whose bot died as interrupted. */
  start(everyMs = 5000): Promise<void> {
    this.timer ??= setInterval(() => void this.sweep().catch(() => undefined), everyMs);
    this.timer.unref();
    return this.sweep().then(() => undefined);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Wait for executions this instance started, also those started while waiting (graceful stop, tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  async get(id: string): Promise<RemediationRequest | undefined> {
    return (await this.opts.store.get<RemediationRequest>(key(id)))?.value;
  }

  async list(): Promise<RemediationRequest[]> {
    const rows = await this.opts.store.list<RemediationRequest>('remediation:');
    return rows.map((r) => r.value).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Remember where the request's card lives (the adapter calls this after posting or re-posting it). */
  async setMessage(id: string, message: { channel: string; ts: string }, more: Pick<RemediationRequest, 'lostChannel'> = {}): Promise<void> {
    // Not an event: the card itself just moved; re-rendering it would only repeat what it shows.
    await this.mutate(id, undefined, (r) => ({ ...r, message, ...more }), false);
  }

  /** Remember a copy of the card in someone's direct messages (the adapter, after posting it). */
  async addDirectCopy(id: string, copy: { user: string; channel: string; ts: string }): Promise<void> {
    await this.mutate(id, undefined, (r) => ({ ...r, dms: [...(r.dms ?? []).filter((d) => d.user !== copy.user), copy] }), false);
  }

  private ctxFor(env: string, signal: AbortSignal): ActionContext | undefined {
    const cfg = this.opts.host.envConfig(env);
    if (!cfg) return undefined;
    return { envName: env, env: cfg, targets: this.opts.host.targetsOf(env), signal };
  }

  private parseArgs(action: AnyAction, positional: readonly string[]): { ok: true; args: Record<string, string> } | { ok: false; reason: string } {
    const usage = `usage: remediate ${action.id}${action.params.map((p) => ` <${p.name}>`).join('')}`;
    if (positional.length > action.params.length) return { ok: false, reason: `too many arguments for ${action.id}; ${usage}` };
    const named: Record<string, string> = {};
    action.params.forEach((p, i) => {
      const v = positional[i];
      if (v !== undefined) named[p.name] = v;
    });
    const parsed = action.argsSchema.safeParse(named);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.code === 'invalid_type' && i.path.length ? 'missing' : i.message}`);
      return { ok: false, reason: `${problems.join('; ')} (${usage})` };
    }
    return { ok: true, args: parsed.data as Record<string, string> };
  }

  private async computePreview(action: AnyAction, env: string, args: Record<string, string>): Promise<StoredPreview> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), this.opts.previewTimeoutMs ?? 15_000);
    try {
      const ctx = this.ctxFor(env, ac.signal);
      if (!ctx) throw new Error(`unknown environment "${env}"`);
      let p: Preview;
      try {
        p = await action.preview(ctx, args);
      } catch (err) {
        const reason = redact((err as Error).message);
        p = { summary: `Preview failed: ${reason}`, items: [], touches: [], actionable: false, warning: reason };
      }
      return { ...p, id: `p-${randomBytes(6).toString('hex')}`, digest: touchDigest(p.touches), at: new Date(this.now()).toISOString() };
    } finally {
      clearTimeout(t);
    }
  }

  private target(action: AnyAction, env: string, args: Record<string, string>): string {
    const cfg = this.opts.host.envConfig(env);
    return cfg ? action.locks(args, cfg).join('+') : action.id;
  }

  private async record(entry: Omit<AuditEntry, 'actor' | 'actorName'> & { who?: Principal }): Promise<void> {
    const { who, ...rest } = entry;
    await this.audit.append({ ...rest, actor: who?.id ?? 'ws-doctor', ...(who?.name ? { actorName: who.name } : {}) });
  }

  // ------------------------------------------------------------------------------------------------ request

  async request(input: RequestInput): Promise<Outcome> {
    const action = this.findAction(input.action);
    if (!action) {
      return { kind: 'refused', reason: `unknown action \`${input.action}\`; known: ${this.actions.length ? this.actions.map((a) => a.id).join(', ') : 'see `remediate` without arguments'}` };
    }
    if (!this.opts.host.envConfig(input.env)) return { kind: 'refused', reason: `unknown environment "${input.env}"` };
    const parsed = this.parseArgs(action, input.args);
    if (!parsed.ok) return { kind: 'refused', reason: parsed.reason };
    const args = parsed.args;
    const base = { env: input.env, action: action.id, request: '-' };
    if (input.dryRun) {
      const preview = await this.computePreview(action, input.env, args);
      await this.record({ ...base, step: 'dry-run', who: input.requester, detail: { previewId: preview.id, digest: preview.digest, summary: preview.summary, args: Object.values(args) } });
      return { kind: 'preview', preview, action, env: input.env, args };
    }
    const may = this.policy.mayRequest(action.id, input.requester, input.channel);
    if (!may.ok) {
      await this.record({ ...base, step: 'refused', who: input.requester, detail: { phase: 'request', reason: may.reason } });
      return { kind: 'refused', reason: may.reason };
    }
    const target = this.target(action, input.env, args);
    const guard = await this.guards.check(input.env, action.id, target, this.policy.limits(action.id));
    if (guard) {
      await this.record({ ...base, step: 'refused', who: input.requester, detail: { phase: 'request', reason: guard.reason, until: new Date(guard.until).toISOString() } });
      return { kind: 'refused', reason: guard.reason };
    }
    const preview = await this.computePreview(action, input.env, args);
    const id = `r-${randomBytes(5).toString('hex')}`;
    await this.record({ ...base, request: id, step: 'requested', who: input.requester, detail: { args: Object.values(args), channel: input.channel } });
    await this.record({
      ...base,
      request: id,
      step: 'previewed',
      who: input.requester,
      detail: { previewId: preview.id, digest: preview.digest, summary: preview.summary, touches: preview.touches.length, actionable: preview.actionable },
    });
    const now = this.now();
    const req: RemediationRequest = {
      id,
      env: input.env,
      action: action.id,
      title: action.title,
      risk: action.risk,
      blastRadius: action.blastRadius,
      args,
      requester: person(input.requester),
      ...(input.channel ? { channel: input.channel } : {}),
      createdAt: new Date(now).toISOString(),
      expiresAt: now + this.policy.approvalTtlMs,
      preview,
      state: 'pending',
      steps: [],
    };
    if (!preview.actionable) {
      req.state = 'refused';
      req.reason = `nothing to do: ${preview.summary}`;
      req.finishedAt = req.createdAt;
      await this.record({ ...base, request: id, step: 'refused', detail: { phase: 'preview', reason: req.reason } });
    }
    await this.opts.store.put(key(id), req, { ttlMs: KEEP_MS });
    this.emit(req);
    return req.state === 'refused' ? { kind: 'refused', reason: req.reason ?? 'refused', request: req } : { kind: 'done', request: req };
  }

  // ------------------------------------------------------------------------------------------------ decide

  /**
   * Read-modify-write of one request by compare-and-set; undefined when it is gone or someone else changed it
   * first. With `expected`, the write happens only if the request
   * is still the one the caller read — except for the card's whereabouts (`message`, `dms`, `lostChannel`),
   * which the chat adapter writes while a run goes on: a card moving to direct messages must never make the
   * engine's next step (approved, executing, succeeded…) look like someone else's, or that step is silently not
   * stored and the card stays at "Verifying" for ever (seen under load when a channel was archived mid-run).
   */
  private async mutate(
    id: string,
    expected: { version: number; value: RemediationRequest } | undefined,
    change: (r: RemediationRequest) => RemediationRequest | undefined,
    notify = true,
  ): Promise<{ request: RemediationRequest; version: number } | undefined> {
    for (let i = 0; i < 10; i++) {
      const cur = await this.opts.store.get<RemediationRequest>(key(id));
      if (!cur) return undefined;
      if (expected && cur.version !== expected.version && !onlyCardMoved(cur.value, expected.value)) return undefined;
      const next = change(cur.value);
      if (!next) return undefined;
      const v = await this.opts.store.cas(key(id), cur.version, next, { ttlMs: KEEP_MS });
      if (v !== undefined) {
        if (notify) this.emit(next);
        return { request: next, version: v };
      }
    }
    return undefined;
  }

  async deny(id: string, who: Principal, channel?: string): Promise<Outcome> {
    const cur = await this.opts.store.get<RemediationRequest>(key(id));
    if (!cur) return { kind: 'refused', reason: `no remediation request ${id}` };
    const r = cur.value;
    if (r.state !== 'pending') return { kind: 'already', request: r };
    const may = this.policy.mayDeny({ action: r.action, requester: r.requester, previewId: r.preview.id, digest: r.preview.digest, expiresAt: r.expiresAt }, who);
    const ch = this.policy.channelAllowed(channel);
    if (!may.ok || !ch.ok) {
      const reason = !may.ok ? may.reason : ch.ok ? '' : ch.reason;
      await this.record({ env: r.env, action: r.action, request: id, step: 'refused', who, detail: { phase: 'deny', reason } });
      return { kind: 'refused', reason, request: r };
    }
    const done = await this.mutate(id, cur, (x) => ({ ...x, state: 'denied', decidedBy: person(who), reason: who.id === r.requester.id ? 'withdrawn by the requester' : 'denied', finishedAt: new Date(this.now()).toISOString() }));
    if (!done) return { kind: 'already', request: (await this.get(id)) ?? r };
    await this.record({ env: r.env, action: r.action, request: id, step: 'denied', who, detail: { previewId: r.preview.id } });
    return { kind: 'done', request: done.request };
  }

  /**
   * Approve and run. Resolves once the request reached its final state (or went back to pending on drift).
   * A second call for the same request — a double click, a Slack retry, another replica — returns `already`.
   */
  async approve(id: string, who: Principal, presented: { previewId: string; digest: string }, channel?: string): Promise<Outcome> {
    // Still pending, for another replica or this bot once it is back: nothing was decided.
    if (this.closing) return { kind: 'refused', reason: `${this.closing}: your approval was not recorded and nothing ran; approve it again in a minute`, ...(await this.maybe(id).catch(() => ({}))) };
    const cur = await this.opts.store.get<RemediationRequest>(key(id));
    if (!cur) return { kind: 'refused', reason: `no remediation request ${id}` };
    const r = cur.value;
    if (r.state !== 'pending') return { kind: 'already', request: r };
    if (this.now() >= r.expiresAt) {
      await this.expire(id, cur);
      return { kind: 'refused', reason: `this request expired at ${new Date(r.expiresAt).toISOString()}; request it again`, ...(await this.maybe(id)) };
    }
    const may = this.policy.mayApprove(
      { action: r.action, requester: r.requester, previewId: r.preview.id, digest: r.preview.digest, expiresAt: r.expiresAt },
      who,
      presented,
      this.now(),
      channel,
    );
    if (!may.ok) {
      await this.record({ env: r.env, action: r.action, request: id, step: 'refused', who, detail: { phase: 'approve', reason: may.reason } });
      return { kind: 'refused', reason: may.reason, request: r };
    }
    const approved = await this.mutate(id, cur, (x) => ({ ...x, state: 'approved', approver: person(who), decidedBy: person(who), startedAt: new Date(this.now()).toISOString() }));
    if (!approved) return { kind: 'already', request: (await this.get(id)) ?? r };
    // Tracked from the approval on (not from the run's start): a shutdown arriving in between waits for it too.
    const run = (async () => {
      await this.record({ env: r.env, action: r.action, request: id, step: 'approved', who, detail: { previewId: r.preview.id, digest: r.preview.digest } });
      // The stop cut off what was running while this approval was being recorded: it never starts.
      if (this.closing) {
        const cut = await this.interrupt(id, { version: approved.version, value: approved.request }, `${this.closing} before executing it: nothing was done; request it again`);
        return { kind: 'done' as const, request: cut ?? (await this.get(id)) ?? approved.request };
      }
      return this.run(approved.request, approved.version);
    })().finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }

  private async maybe(id: string): Promise<{ request?: RemediationRequest }> {
    const r = await this.get(id);
    return r ? { request: r } : {};
  }

  private async expire(id: string, read: { version: number; value: RemediationRequest }): Promise<void> {
    const done = await this.mutate(id, read, (x) =>
      x.state === 'pending' ? { ...x, state: 'expired', reason: `nobody approved it within ${Math.round(this.policy.approvalTtlMs / 60000)} min`, finishedAt: new Date(this.now()).toISOString() } : undefined,
    );
    if (done) await this.record({ env: done.request.env, action: done.request.action, request: id, step: 'expired', detail: { expiresAt: new Date(done.request.expiresAt).toISOString() } });
  }

  // ------------------------------------------------------------------------------------------------ run

  private async run(req: RemediationRequest, version: number): Promise<Outcome> {
    const action = this.findAction(req.action);
    const cfg = this.opts.host.envConfig(req.env);
    let v = version;
    let r = req;
    // Writes of this run are serialised (progress arrives while other steps save) and fenced by version:
    // if anything else changed the request (a sweep that judged this bot dead), this run stops writing.
    let chain: Promise<boolean> = Promise.resolve(true);
    const save = (change: (x: RemediationRequest) => RemediationRequest): Promise<boolean> => {
      const next = chain.then(async () => {
        const done = await this.mutate(r.id, { version: v, value: r }, change);
        if (!done) return false;
        r = done.request;
        v = done.version;
        return true;
      });
      chain = next.catch(() => false);
      return next;
    };
    const refuse = async (reason: string, phase: string): Promise<Outcome> => {
      await save((x) => ({ ...x, state: 'refused', reason, finishedAt: new Date(this.now()).toISOString() }));
      await this.record({ env: r.env, action: r.action, request: r.id, step: 'refused', detail: { phase, reason } });
      return { kind: 'done', request: r };
    };
    if (!action || !cfg) return refuse(`action ${req.action} or environment ${req.env} no longer exists`, 'guards');
    const limits = this.policy.limits(action.id);
    const target = this.target(action, r.env, r.args);

    // Guards 1: cooldown, hourly cap, breaker.
    const guard = await this.guards.check(r.env, action.id, target, limits);
    if (guard) return refuse(guard.reason, 'guards');

    // Guards 2: one lease per target, fenced.
    const ttl = this.opts.leaseTtlMs ?? 30_000;
    const names = action.locks(r.args, cfg).map((n) => `lock:${r.env}:${n}`);
    const leases: Lease[] = [];
    for (const n of [...names].sort()) {
      const lease = await this.opts.store.acquireLease(n, this.instanceId, ttl);
      if (!lease) {
        await Promise.all(leases.map((l) => this.opts.store.releaseLease(l).catch(() => false)));
        const other = await this.opts.store.get<string>(`lockowner:${n}`);
        return refuse(`another remediation is running on ${n.split(':').slice(2).join(':')}${other ? ` (request ${other.value})` : ''}; try again when it is done`, 'lock');
      }
      leases.push(lease);
      await this.opts.store.put(`lockowner:${n}`, r.id, { ttlMs: ttl });
    }
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      void (async () => {
        for (let i = 0; i < leases.length; i++) {
          const l = leases[i] as Lease;
          const renewed = await this.opts.store.renewLease(l, ttl).catch(() => undefined);
          if (!renewed) abort.abort(new Error(`lost the lock ${l.name}`));
          else leases[i] = renewed;
        }
      })();
    }, Math.max(50, Math.floor(ttl / 3)));
    heartbeat.unref();
    const release = async (): Promise<void> => {
      clearInterval(heartbeat);
      await Promise.all(leases.map((l) => this.opts.store.releaseLease(l).catch(() => false)));
    };
    this.live.set(r.id, { abort, release });

    try {
      // Guards 3: the world still looks like what was approved.
      const fresh = await this.computePreview(action, r.env, r.args);
      if (fresh.digest !== r.preview.digest) {
        const diff = touchDiff(r.preview.touches, fresh.touches);
        if (!fresh.actionable) return await refuse(`nothing to do any more: ${fresh.summary}`, 'drift');
        await save((x) => ({
          ...x,
          state: 'pending',
          preview: fresh,
          drift: { ...diff, previous: x.preview.summary },
          expiresAt: this.now() + this.policy.approvalTtlMs,
          approver: undefined,
          decidedBy: undefined,
          startedAt: undefined,
        }));
        await this.record({ env: r.env, action: r.action, request: r.id, step: 'drifted', detail: { approvedDigest: req.preview.digest, currentDigest: fresh.digest, gone: diff.gone, added: diff.added, previewId: fresh.id } });
        return { kind: 'done', request: r };
      }

      // Execute.
      await this.guards.recordRun(r.env, action.id, target);
      const started = await save((x) => ({ ...x, state: 'executing', holder: this.instanceId, fences: leases.map((l) => l.fence) }));
      if (!started) return { kind: 'already', request: (await this.get(r.id)) ?? r };
      await this.record({ env: r.env, action: r.action, request: r.id, step: 'executing', detail: { fences: leases.map((l) => `${l.name}#${l.fence}`), previewId: r.preview.id } });
      const before = await this.checkLines(r.env, limits.verify);
      await save((x) => ({ ...x, before }));
      const ctx = this.ctxFor(r.env, abort.signal) as ActionContext;
      let result;
      try {
        result = await action.execute(
          ctx,
          r.args,
          (s) => {
            void save((x) => {
              const steps = x.steps.filter((p) => !(p.step === s.step && !p.done));
              return { ...x, steps: [...steps, { step: s.step, done: s.done, at: new Date(this.now()).toISOString() }] };
            });
          },
          r.preview,
        );
      } catch (err) {
        result = { ok: false, summary: `failed: ${redact((err as Error).message)}`, facts: {}, error: redact((err as Error).message) };
      }
      if (this.cutOff.has(r.id)) return { kind: 'done', request: (await this.get(r.id)) ?? r };
      if (abort.signal.aborted) {
        result = { ...result, ok: false, error: `aborted: ${String((abort.signal.reason as Error | undefined)?.message ?? 'lock lost')}` };
      }
      await save((x) => ({ ...x, result, state: result.ok ? 'verifying' : 'failed' }));
      await this.record({ env: r.env, action: r.action, request: r.id, step: 'executed', detail: { ok: result.ok, summary: result.summary, ...(result.error ? { error: result.error } : {}) } });

      // Verify.
      let ok = result.ok;
      if (result.ok) {
        // Real time, not the injectable clock: this waits for a real service to come back.
        const deadline = Date.now() + this.policy.cfg.verifyDeadlineSeconds * 1000;
        let attempts = 0;
        let after: CheckLine[] = [];
        for (;;) {
          attempts++;
          after = await this.checkLines(r.env, limits.verify);
          ok = after.every((c) => c.status === 'ok' || c.status === 'warn');
          if (ok || Date.now() + (this.opts.verifyPollMs ?? 3000) > deadline || abort.signal.aborted) break;
          await sleep(this.opts.verifyPollMs ?? 3000, abort.signal);
        }
        if (this.cutOff.has(r.id)) return { kind: 'done', request: (await this.get(r.id)) ?? r };
        await save((x) => ({
          ...x,
          after,
          verifyAttempts: attempts,
          state: ok ? 'succeeded' : 'failed',
          ...(ok ? { followUps: [...(action.followUps ?? [])] } : { reason: `checks did not pass within ${this.policy.cfg.verifyDeadlineSeconds} s: ${after.filter((c) => c.status !== 'ok' && c.status !== 'warn').map((c) => c.check).join(', ')}` }),
        }));
        await this.record({ env: r.env, action: r.action, request: r.id, step: 'verified', detail: { ok, attempts, checks: after.map((c) => `${c.check}:${c.status}`) } });
      }
      await save((x) => ({ ...x, finishedAt: new Date(this.now()).toISOString() }));
      await this.guards.recordOutcome(r.env, action.id, target, ok, limits).catch(() => undefined);
      return { kind: 'done', request: r };
    } finally {
      this.live.delete(r.id);
      await release();
    }
  }

  /**
   * Shutdown could not wait any longer: every run of this instance still going is recorded `interrupted` now
   * (audit and request, so its card says so before the process exits), its action is aborted and its locks are
   * released. Interrupted is final: no sweep and no next start runs it again. Returns the requests it cut off.
   */
  async interruptRunning(why: string): Promise<RemediationRequest[]> {
    this.closing = why;
    const cut: RemediationRequest[] = [];
    for (const id of [...this.running.keys()]) {
      this.cutOff.add(id);
      const done = await this.mutate(id, undefined, (x) => {
        if (FINAL_STATES.includes(x.state)) return undefined;
        const last = [...x.steps].reverse()[0];
        const reason =
          x.state === 'verifying'
            ? `${why} while verifying: the action itself finished; run \`status\` to see the result`
            : x.state === 'approved'
              ? `${why} before executing it: nothing was done; request it again`
              : `${why} during execution${last ? ` (last step: ${last.step}${last.done ? ', done' : ', in progress'})` : ''}: it was not re-run and its effect is unknown; run \`status\` before requesting it again`;
        return { ...x, state: 'interrupted', reason, finishedAt: new Date(this.now()).toISOString() };
      }).catch(() => undefined);
      const run = this.live.get(id);
      run?.abort.abort(new Error(why));
      await run?.release().catch(() => undefined);
      if (!done) continue;
      await this.record({ env: done.request.env, action: done.request.action, request: id, step: 'interrupted', detail: { reason: done.request.reason, holder: this.instanceId, cause: 'shutdown' } }).catch(() => undefined);
      cut.push(done.request);
    }
    return cut;
  }

  private async checkLines(env: string, names: readonly string[]): Promise<CheckLine[]> {
    if (names.length === 0) return [];
    try {
      const findings = await this.opts.host.runChecks(env, names);
      return names.map((n) => {
        const f = findings.find((x) => x.check === n);
        return f ? { check: n, status: f.status, summary: f.summary } : { check: n, status: 'unknown', summary: 'not run (disabled or unknown check)' };
      });
    } catch (err) {
      return names.map((n) => ({ check: n, status: 'unknown', summary: redact((err as Error).message) }));
    }
  }

  // ------------------------------------------------------------------------------------------------ sweep

  /** Expire overdue pending requests; mark requests whose executing bot is gone as interrupted. */
  async sweep(): Promise<RemediationRequest[]> {
    const changed: RemediationRequest[] = [];
    const now = this.now();
    for (const row of await this.opts.store.list<RemediationRequest>('remediation:')) {
      const r = row.value;
      if (FINAL_STATES.includes(r.state)) continue;
      if (r.state === 'pending') {
        if (now >= r.expiresAt) {
          await this.expire(r.id, row);
          const after = await this.get(r.id);
          if (after) changed.push(after);
        }
        continue;
      }
      if (this.running.has(r.id)) continue;
      if (r.state === 'approved') {
        const since = r.startedAt ? Date.parse(r.startedAt) : 0;
        if (now - since < (this.opts.approvedStaleMs ?? 60_000)) continue;
        const done = await this.interrupt(r.id, row, 'approved, but the bot stopped before executing it: nothing was done; request it again');
        if (done) changed.push(done);
        continue;
      }
      // executing / verifying: is its holder alive? It renews its leases; if we can take them all, it is not.
      const action = this.findAction(r.action);
      const cfg = this.opts.host.envConfig(r.env);
      if (!action || !cfg) continue;
      const names = action.locks(r.args, cfg).map((n) => `lock:${r.env}:${n}`);
      const taken: Lease[] = [];
      let alive = false;
      for (const n of [...names].sort()) {
        const l = await this.opts.store.acquireLease(n, `${this.instanceId}:sweep`, 5000);
        if (!l) {
          alive = true;
          break;
        }
        taken.push(l);
      }
      try {
        if (alive) continue;
        const last = [...r.steps].reverse()[0];
        const what =
          r.state === 'verifying'
            ? 'the action finished, but the bot stopped while verifying: run `status` to see the result'
            : `the bot stopped during execution${last ? ` (last step: ${last.step}${last.done ? ', done' : ', in progress'})` : ''}: it was not re-run and its effect is unknown; run \`status\` before requesting it again`;
        const done = await this.interrupt(r.id, row, what);
        if (done) changed.push(done);
      } finally {
        await Promise.all(taken.map((l) => this.opts.store.releaseLease(l).catch(() => false)));
      }
    }
    return changed;
  }

  private async interrupt(id: string, read: { version: number; value: RemediationRequest }, reason: string): Promise<RemediationRequest | undefined> {
    const done = await this.mutate(id, read, (x) => ({ ...x, state: 'interrupted', reason, finishedAt: new Date(this.now()).toISOString() }));
    if (!done) return undefined;
    await this.record({ env: done.request.env, action: done.request.action, request: id, step: 'interrupted', detail: { reason, holder: done.request.holder } });
    return done.request;
  }
}

const key = (id: string): string => `remediation:${id}`;

/** True when `a` and `b` differ at most in where the card is shown (fields only the chat adapter writes). */
function onlyCardMoved(a: RemediationRequest, b: RemediationRequest): boolean {
  const { message: _m1, dms: _d1, lostChannel: _l1, ...restA } = a;
  const { message: _m2, dms: _d2, lostChannel: _l2, ...restB } = b;
  // As stored (JSON): an `undefined` field written by the engine is absent from what the store gives back.
  return isDeepStrictEqual(JSON.parse(JSON.stringify(restA)), JSON.parse(JSON.stringify(restB)));
}

/** Who, as stored on a request: id and name; group memberships are judged at each decision, never kept. */
const person = (p: Principal): Principal => ({ id: p.id, ...(p.name ? { name: p.name } : {}) });
