/**
 * One evaluation tick for one environment: every Prometheus rule's expression is asked of Prometheus (a few at
 * a time), every check rule reads one run of the checks it needs, and each alert instance advances through
 * the state machine. Changed instances are written back; what the pipeline must look at is returned.
 *
 * When Prometheus cannot answer, nothing of a Prometheus rule changes (no false resolves) and the synthetic
 * meta-alert `AlertRulesUnevaluable` ("cannot evaluate rules") fires after two such ticks in a row — one alert,
 * not one per rule.
 */
import type { StatusReport } from '../diagnosis/types';
import type { PromQueryResult } from '../targets/prometheus';
import type { AlertStore } from './alert-store';
import { fingerprint } from './fingerprint';
import { advance, newState, type Condition, type FlapPolicy } from './state-machine';
import { renderTemplate } from './template';
import type { AlertRule, AlertState, CheckRule, PromRule } from './types';

export const META_RULE = 'AlertRulesUnevaluable';

export interface PromQuerier {
  readonly url: string;
  query(expr: string, opts?: { signal?: AbortSignal }): Promise<PromQueryResult>;
}

/** The part of the Doctor check rules need. */
export interface CheckRunner {
  status(env: string, opts?: { checks?: string[] }): Promise<StatusReport>;
  /** The checks enabled in `env` (Docker checks are off without an engine); rules on others are left unchanged. */
  checkNames?(env: string): string[];
}

export interface EvaluateOptions {
  env: string;
  rules: readonly AlertRule[];
  prometheus?: PromQuerier;
  checks?: CheckRunner;
  store: AlertStore;
  now?: number;
  flap?: FlapPolicy;
  /** Prometheus queries in flight at once. Default 8. */
  concurrency?: number;
  /** Resolved instances are forgotten this long after they resolved (once delivered). Default 1 h. */
  resolvedRetentionMs?: number;
  signal?: AbortSignal;
}

export interface RuleError {
  rule: string;
  error: string;
}

export interface EvaluationResult {
  env: string;
  at: number;
  /** Every instance that is pending/firing, or changed this tick, or not yet delivered. */
  alerts: AlertState[];
  ruleErrors: RuleError[];
  /** Prometheus could not be asked this tick. */
  prometheusDown?: string;
  /** The check run used (root-cause grouping reads its verdict). */
  report?: StatusReport;
  queries: number;
  durationMs: number;
}

export async function evaluate(o: EvaluateOptions): Promise<EvaluationResult> {
  const started = Date.now();
  const now = o.now ?? started;
  const env = o.env;
  const previous = new Map<string, AlertState>();
  for (const a of await o.store.alerts(env)) if (a.origin !== 'alertmanager') previous.set(a.fingerprint, a);
  const next = new Map<string, AlertState>();
  const ruleErrors: RuleError[] = [];

  // An env without a Prometheus is a configuration (the real stack's AWS deployment has none), not an outage:
  // its Prometheus rules are not asked — nothing fires, resolves, or raises "cannot evaluate rules".
  const promRules = o.prometheus ? o.rules.filter((r): r is PromRule => r.kind === 'prom') : [];
  const checkRules = o.rules.filter((r): r is CheckRule => r.kind === 'check');

  // ── Prometheus rules ─────────────────────────────────────────────────────────────────────────────────────
  let unavailable: string | undefined;
  let answered = 0;
  let queries = 0;
  const results = await mapLimit(promRules, o.concurrency ?? 8, async (rule) => {
    if (!o.prometheus) return { kind: 'unavailable', error: 'no Prometheus configured for this environment', latencyMs: 0 } as PromQueryResult;
    queries++;
    return await o.prometheus.query(rule.expr, o.signal ? { signal: o.signal } : {});
  });
  promRules.forEach((rule, i) => {
    const res = results[i]!;
    const mine = [...previous.values()].filter((a) => a.rule === rule.name);
    if (res.kind !== 'ok') {
      if (res.kind === 'unavailable') unavailable ??= res.error;
      else ruleErrors.push({ rule: rule.name, error: res.error });
      for (const a of mine) next.set(a.fingerprint, a); // unknown: unchanged
      return;
    }
    answered++;
    const seen = new Set<string>();
    for (const s of res.series) {
      const labels = { ...s.labels, ...rule.labels, alertname: rule.name };
      const fp = fingerprint(env, rule.name, labels);
      seen.add(fp);
      const prev =
        previous.get(fp) ??
        newState({ fingerprint: fp, rule: rule.name, env, origin: 'rule', labels, annotations: {}, severity: rule.severity }, now);
      const cond: Condition = { kind: 'timed', active: true, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs, value: s.value };
      const st = advance(prev, cond, now, o.flap);
      st.annotations = renderAnnotations(rule, labels, s.value);
      next.set(fp, st);
    }
    for (const a of mine) {
      if (seen.has(a.fingerprint)) continue;
      next.set(a.fingerprint, advance(a, { kind: 'timed', active: false, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs }, now, o.flap));
    }
  });
  // Down when it answered nothing although asked something (one refused expression does not mean an outage).
  const prometheusDown = promRules.length > 0 && answered === 0 && unavailable !== undefined ? unavailable : undefined;

  // ── check rules ──────────────────────────────────────────────────────────────────────────────────────────
  let report: StatusReport | undefined;
  if (checkRules.length) {
    // Only checks that run here are asked for: one rule on a disabled check must not fail the whole run.
    const enabled = o.checks?.checkNames ? new Set(o.checks.checkNames(env)) : undefined;
    const needed = [...new Set(checkRules.map((r) => r.check))].filter((c) => !enabled || enabled.has(c));
    let runError: string | undefined;
    if (!o.checks) runError = 'no check runner';
    else if (needed.length) {
      try {
        report = await o.checks.status(env, { checks: needed });
      } catch (err) {
        runError = (err as Error).message;
      }
    }
    for (const rule of checkRules) {
      const labels = { ...rule.labels, alertname: rule.name, check: rule.check };
      const fp = fingerprint(env, rule.name, labels);
      const prev = previous.get(fp) ?? newState({ fingerprint: fp, rule: rule.name, env, origin: 'rule', labels, annotations: {}, severity: rule.severity }, now);
      const finding = report?.findings.find((f) => f.check === rule.check);
      if (!finding || finding.status === 'unknown') {
        // The bot could not tell (runner error, check could not run): neither fire nor resolve.
        if (previous.has(fp)) next.set(fp, prev);
        if (runError) ruleErrors.push({ rule: rule.name, error: runError });
        continue;
      }
      const bad = finding.status === 'fail' || (rule.failOn === 'warn' && finding.status === 'warn');
      const failing = bad && (!rule.signal || (finding.signals ?? []).includes(rule.signal));
      const st = advance(prev, { kind: 'counted', failing, failAfter: rule.failAfter, resolveAfter: rule.resolveAfter }, now, o.flap);
      st.summary = finding.summary;
      const causeId = report?.verdict.explainedBy[rule.check];
      const cause = causeId ? [report?.verdict.rootCause, ...(report?.verdict.otherCauses ?? [])].find((c) => c?.id === causeId) : undefined;
      if (failing && cause) st.cause = { id: cause.id, title: cause.title };
      else if (!failing && st.phase !== 'firing') delete st.cause;
      st.annotations = renderAnnotations(rule, labels, undefined, finding.summary);
      if (st.phase !== 'inactive' || previous.has(fp)) next.set(fp, st);
    }
  }

  // ── the meta-alert ───────────────────────────────────────────────────────────────────────────────────────
  const metaFp = fingerprint(env, META_RULE, { alertname: META_RULE });
  // Also when the Prometheus went from the config while the meta-alert fired: it resolves instead of staying red.
  if (promRules.length || previous.has(metaFp)) {
    const labels = { alertname: META_RULE };
    const fp = metaFp;
    const prev =
      previous.get(fp) ??
      newState({ fingerprint: fp, rule: META_RULE, env, origin: 'meta', labels, annotations: {}, severity: 'critical' }, now);
    const st = advance(prev, { kind: 'counted', failing: prometheusDown !== undefined, failAfter: 2, resolveAfter: 1 }, now, { transitions: Infinity, windowMs: 1 });
    st.annotations = {
      summary: 'Cannot evaluate alert rules: Prometheus does not answer',
      description: prometheusDown
        ? `${o.prometheus?.url ?? 'Prometheus'}: ${prometheusDown}. Rule states are frozen (nothing resolves) until it answers again.`
        : `${o.prometheus?.url ?? 'Prometheus'} answers again; rules are evaluated.`,
    };
    if (prometheusDown) st.summary = prometheusDown;
    if (st.phase !== 'inactive' || previous.has(fp)) next.set(fp, st);
  }

  // ── write back, forget what is over ──────────────────────────────────────────────────────────────────────
  const ruleNames = new Set([...o.rules.map((r) => r.name), META_RULE]);
  const retention = o.resolvedRetentionMs ?? 3_600_000;
  const out: AlertState[] = [];
  for (const st of next.values()) {
    const prev = previous.get(st.fingerprint);
    const delivered = !st.notified || st.notified.phase === st.phase;
    const over =
      (st.phase === 'inactive' && (!st.notified || st.notified.phase !== 'firing')) ||
      (st.phase === 'resolved' && delivered && now - (st.resolvedAt ?? now) > retention);
    if (over && !st.flapping) {
      if (prev) await o.store.deleteAlert(st);
      continue;
    }
    if (!prev || changed(prev, st)) await o.store.putAlert(st);
    out.push(st);
  }
  // Rules removed from the files: their instances resolve (a deleted rule must not leave a card red forever).
  for (const a of previous.values()) {
    if (ruleNames.has(a.rule) || next.has(a.fingerprint)) continue;
    if (a.phase === 'firing' || a.phase === 'pending') {
      const st: AlertState = { ...a, phase: a.phase === 'firing' ? 'resolved' : 'inactive', resolvedAt: now, lastEvalAt: now, summary: 'rule removed from the rule files' };
      await o.store.putAlert(st);
      out.push(st);
    } else if (a.notified?.phase === a.phase || !a.notified) await o.store.deleteAlert(a);
  }
  return {
    env,
    at: now,
    alerts: out,
    ruleErrors,
    ...(prometheusDown ? { prometheusDown } : {}),
    ...(report ? { report } : {}),
    queries,
    durationMs: Date.now() - started,
  };
}

function renderAnnotations(rule: AlertRule, labels: Record<string, string>, value: number | undefined, checkSummary?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) out[k] = renderTemplate(v, labels, value);
  if (checkSummary !== undefined && !out.description) out.description = checkSummary;
  return out;
}

/** Whether a write is worth it (lastEvalAt alone is not; lastActiveAt matters while firing for keep_firing_for). */
function changed(a: AlertState, b: AlertState): boolean {
  return (
    a.phase !== b.phase ||
    a.flapping !== b.flapping ||
    a.fails !== b.fails ||
    a.passes !== b.passes ||
    a.value !== b.value ||
    a.transitions.length !== b.transitions.length ||
    a.cause?.id !== b.cause?.id ||
    a.summary !== b.summary ||
    (b.phase === 'firing' && b.lastActiveAt !== a.lastActiveAt && (b.lastActiveAt ?? 0) - (a.lastActiveAt ?? 0) > 60_000) ||
    JSON.stringify(a.annotations) !== JSON.stringify(b.annotations)
  );
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
