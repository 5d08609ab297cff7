/**
 * The core service every adapter drives: runs checks per environment, diagnoses, remembers. Knows nothing of
 * Slack or terminals. Concurrent identical requests are coalesced (single-flight): 100 people asking for
 * status at once cause one run of each check.
 */
import type { AlertsApi } from '../alerts/api';
import type { Config } from '../config/schema';
import { allChecks } from '../checks/registry';
import { runChecks, withDependencies } from '../checks/runner';
import type { Check } from '../checks/types';
import { diagnose } from '../diagnosis/diagnose';
import type { StatusReport } from '../diagnosis/types';
import { fetchLogs } from '../logs/logs-command';
import { HistoryStore, type HistoryEntry } from '../state/history';
import { buildTargets } from '../targets/build';
import { loginCacheKey, stateLoginCache } from './login-cache';
import type { Targets } from '../targets/targets';
import type { DoctorApi, LogsQuery, LogsResult, ScheduleView } from './api';
import type { Finding } from '../checks/types';
import type { EnvConfig } from '../config/schema';
import type { RemediationEngine } from '../remediations/engine';
import { createRemediations } from '../remediations/setup';
import { openStateStore } from '../state/open';
import type { StateStore } from '../state/store';
import { stateStoreFinding } from './bot-findings';

export interface DoctorOptions {
  /** The check registry; defaults to every check ws-doctor has. */
  checks?: readonly Check[];
  /**
   * Folder of the embedded state store (`state.store: embedded`); `null` keeps it in memory only (tests,
   * `demo --once`). Defaults to config.stateDir. Ignored when `stateStore` is given.
   */
  stateDir?: string | null;
  /** Called after every completed run (App Home refresh, alert evaluation). */
  onReport?: (report: StatusReport) => void;
  /**
   * Where history, pending approvals, locks, cooldowns, alert states and the audit log live. Default: the store
   * the config names (`state.store`: embedded SQLite in `stateDir`, or the shared Redis), closed with the Doctor.
   */
  stateStore?: StateStore;
}

export class Doctor implements DoctorApi {
  readonly defaultEnv: string;
  /** Set by the composition root once the alert service runs (it needs the Doctor first, for check rules). */
  alerts?: AlertsApi;
  private readonly targets = new Map<string, Targets>();
  private readonly inFlight = new Map<string, Promise<StatusReport>>();
  private readonly last = new Map<string, StatusReport>();
  private readonly historyStore: HistoryStore;
  /** True when the Doctor opened its store itself (and so closes it). */
  private readonly ownsState: boolean;
  private readonly checks: readonly Check[];
  private readonly listeners: Array<(r: StatusReport) => void> = [];
  readonly remediations: RemediationEngine;
  /** The scheduled jobs; set by main.ts when the bot runs its scheduler (scheduler/wire.ts). */
  schedule?: () => Promise<ScheduleView>;
  /** The bot's own memory (state/store.ts): history, approvals, locks, audit, alert states, silences. */
  readonly stateStore: StateStore;

  constructor(
    readonly config: Config,
    opts: DoctorOptions = {},
  ) {
    this.defaultEnv = config.defaultEnv;
    this.checks = opts.checks ?? allChecks;
    this.ownsState = !opts.stateStore;
    this.stateStore = opts.stateStore ?? openStateStore(config, opts.stateDir === undefined ? {} : { stateDir: opts.stateDir });
    this.historyStore = new HistoryStore(this.stateStore);
    if (opts.onReport) this.listeners.push(opts.onReport);
    const checkNames = this.checks.map((c) => c.name);
    this.remediations = createRemediations(config, this.stateStore, this, checkNames);
  }

  /** RemediationHost: an environment's config (undefined when unknown). */
  envConfig(env: string): EnvConfig | undefined {
    return this.config.environments[env];
  }

  /** RemediationHost: the named checks (and what they need), as findings; shares runs in flight. */
  async runChecks(env: string, names: readonly string[]): Promise<Finding[]> {
    return (await this.status(env, { checks: [...names] })).findings;
  }

  /** Same as `new Doctor(…)`; kept because composition roots and tests read better with it. */
  static create(config: Config, opts: DoctorOptions = {}): Doctor {
    return new Doctor(config, opts);
  }

  /** Subscribe to finished reports; returns the unsubscribe function. */
  onReport(listener: (r: StatusReport) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  envNames(): string[] {
    return Object.keys(this.config.environments);
  }

  checkNames(env: string): string[] {
    return this.enabledChecks(env).map((c) => c.name);
  }

  status(env: string, opts: { checks?: string[] } = {}): Promise<StatusReport> {
    const selected = opts.checks?.length ? [...opts.checks].sort() : undefined;
    const key = `${env}\u0000${selected?.join(',') ?? '*'}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const run = this.run(env, selected).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  history(env: string, opts: { check?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    return this.historyStore.list(env, opts);
  }

  lastReport(env: string): StatusReport | undefined {
    return this.last.get(env);
  }

  /**
   * Container logs through the Docker engine. The service defaults to `docker.logService`; engine failures come
   * out as errors whose message carries the reason and the fix.
   */
  async logs(env: string, q: LogsQuery): Promise<LogsResult> {
    const cfg = this.config.environments[env];
    if (!cfg) throw new Error(`unknown environment "${env}"`);
    const target = this.targetsOf(env).docker();
    if (!target) throw new Error(`\`logs\` needs the Docker engine: set \`docker.enabled: true\` and the socket for environment "${env}" in the config.`);
    const service = q.service ?? cfg.docker.logService;
    const r = await fetchLogs(target, {
      service,
      sinceSeconds: q.sinceSeconds,
      tail: q.tail,
      ...(q.grep !== undefined ? { grep: q.grep } : {}),
    });
    const windowScanned = q.grep === undefined || !(r.truncated && r.matched <= r.lines.length);
    return { service, container: r.container, lines: r.lines, truncated: r.truncated, matched: r.matched, windowScanned };
  }

  logsUnavailable(env: string): string | undefined {
    const cfg = this.config.environments[env];
    if (cfg && !cfg.docker.enabled) return '`logs` needs the Docker engine: set `docker.enabled: true` and the socket in the config.';
    return undefined;
  }

  async close(): Promise<void> {
    this.remediations.stop();
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(all.map((t) => t.close()));
    if (this.ownsState) await this.stateStore.close();
  }

  targetsOf(env: string): Targets {
    let t = this.targets.get(env);
    if (!t) {
      const cfg = this.config.environments[env];
      if (!cfg) throw new Error(`unknown environment "${env}"`);
      t = buildTargets(env, cfg, stateLoginCache(this.stateStore, loginCacheKey(env, cfg.backend.url, cfg.backend.serviceAccount.email)));
      this.targets.set(env, t);
    }
    return t;
  }

  private enabledChecks(env: string): Check[] {
    const cfg = this.config.environments[env];
    if (!cfg) throw new Error(`unknown environment "${env}"; known: ${this.envNames().join(', ')}`);
    return this.checks.filter((c) => !cfg.checks.disabled.includes(c.name) && (c.enabled?.(cfg) ?? true));
  }

  private async run(env: string, selected: string[] | undefined): Promise<StatusReport> {
    const cfg = this.config.environments[env];
    if (!cfg) throw new Error(`unknown environment "${env}"; known: ${this.envNames().join(', ')}`);
    const enabled = this.enabledChecks(env);
    const checks = selected ? withDependencies(selected, enabled) : enabled;
    // The bot's own store is probed alongside the checks (no added latency); its failure becomes a finding about
    // the bot, added after the verdict so it can never change what is said about the stack.
    const probe = this.stateStore.ping().then(
      () => undefined,
      (err: unknown) => err,
    );
    const result = await runChecks({ envName: env, env: cfg, targets: this.targetsOf(env), checks });
    const verdict = diagnose(result.findings);
    let stateError = await probe;
    if (stateError === undefined) {
      try {
        await this.historyStore.record(env, result.startedAt, result.findings);
      } catch (err) {
        stateError = err;
      }
    }
    const findings = stateError === undefined ? result.findings : [...result.findings, stateStoreFinding(this.stateStore.description, stateError)];
    const report: StatusReport = { env, ...result, findings, verdict };
    if (!selected) this.last.set(env, report);
    for (const l of this.listeners) {
      try {
        l(report);
      } catch {
        // A failing listener (a Slack outage) must not break the run that others wait on.
      }
    }
    return report;
  }
}
