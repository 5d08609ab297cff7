/**
 * Runs checks in parallel under one overall deadline. Each check gets its own timeout and AbortSignal; a check
 * listed in another's `after` runs first and hands over its artifacts (the connection token). The run returns
 * by the deadline whatever the checks do: a hung check is reported as timed out, never waited for.
 */
import { setMaxListeners } from 'node:events';
import type { EnvConfig } from '../config/schema';
import type { Targets } from '../targets/targets';
import { redact, redactDeep } from '../telemetry/redact';
import type { Check, CheckOutcome, CheckResultWithArtifacts, Finding } from './types';

export interface RunOptions {
  envName: string;
  env: EnvConfig;
  targets: Targets;
  /** The checks to run, dependencies included (see withDependencies). */
  checks: readonly Check[];
  /** Overrides env.checks.deadlineMs. */
  deadlineMs?: number;
}

export interface RunResult {
  startedAt: string;
  durationMs: number;
  findings: Finding[];
  timedOut: string[];
}

/** The selected checks plus everything they need via `after`, in registry order. */
export function withDependencies(selected: readonly string[], all: readonly Check[]): Check[] {
  const byName = new Map(all.map((c) => [c.name, c]));
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name)) return;
    const check = byName.get(name);
    if (!check) throw new Error(`unknown check "${name}"`);
    wanted.add(name);
    for (const dep of check.after ?? []) visit(dep);
  };
  selected.forEach(visit);
  return all.filter((c) => wanted.has(c.name));
}

export async function runChecks(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const deadlineMs = opts.deadlineMs ?? opts.env.checks.deadlineMs;
  // Checks stop a little before the deadline so diagnosis and rendering still fit inside it, even when a busy
  // event loop fires timers late.
  const reserveMs = Math.min(50, Math.floor(deadlineMs * 0.05));
  const deadlineAt = started + deadlineMs - reserveMs;
  const runAbort = new AbortController();
  // Every check listens on the run's signal; a registry of 15+ checks is not a leak.
  setMaxListeners(0, runAbort.signal);
  const results = new Map<string, Promise<CheckResultWithArtifacts>>();
  const timedOut: string[] = [];
  const names = new Set(opts.checks.map((c) => c.name));

  const runOne = async (check: Check): Promise<CheckResultWithArtifacts> => {
    // Wait for the checks this one reads; their own time does not count against this one's timeout.
    await Promise.all((check.after ?? []).filter((d) => names.has(d)).map((d) => results.get(d)));
    const t0 = Date.now();
    const ownTimeout = check.timeoutMs?.(opts.env) ?? opts.env.checks.timeouts[check.name] ?? opts.env.checks.timeoutMs;
    const budget = Math.max(0, Math.min(ownTimeout, deadlineAt - t0));
    const abort = new AbortController();
    const onRunAbort = (): void => abort.abort(runAbort.signal.reason);
    runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budget);
      abort.signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const ctx = {
      envName: opts.envName,
      env: opts.env,
      targets: opts.targets,
      signal: abort.signal,
      resultOf: (name: string) => results.get(name) ?? Promise.resolve(undefined),
    };
    let outcome: CheckOutcome | 'timeout';
    try {
      outcome = await Promise.race([check.run(ctx), timeout]);
    } catch (err) {
      outcome = { status: 'unknown', summary: `check crashed: ${(err as Error).message}`, signals: ['check-error'] };
    } finally {
      if (timer) clearTimeout(timer);
      runAbort.signal.removeEventListener('abort', onRunAbort);
    }
    const durationMs = Date.now() - t0;
    if (outcome === 'timeout') {
      abort.abort(new Error('timed out'));
      timedOut.push(check.name);
      const byDeadline = budget < ownTimeout;
      outcome = {
        status: 'fail',
        summary: `no answer within ${budget} ms (${byDeadline ? 'run deadline' : 'check timeout'}): the target accepted the request but never replied`,
        evidence: { timeoutMs: budget },
        signals: ['timeout'],
      };
    }
    return { finding: toFinding(check, outcome, durationMs), artifacts: outcome.artifacts ?? {} };
  };

  const settled = new Map<string, CheckResultWithArtifacts>();
  for (const check of opts.checks) {
    results.set(
      check.name,
      runOne(check).then((r) => (settled.set(check.name, r), r)),
    );
  }
  const deadline = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, deadlineMs);
    t.unref();
  });
  // Each runOne resolves by its own budget; the extra race only guards against a check that ignores time.
  await Promise.race([Promise.all(results.values()), deadline]);
  runAbort.abort(new Error('run finished'));

  const findings: Finding[] = [];
  for (const check of opts.checks) {
    const done = settled.get(check.name);
    findings.push(
      done?.finding ??
        toFinding(check, { status: 'fail', summary: `no answer before the ${deadlineMs} ms deadline`, signals: ['timeout'] }, Date.now() - started),
    );
    if (!done && !timedOut.includes(check.name)) timedOut.push(check.name);
  }
  return { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, findings, timedOut };
}

function toFinding(check: Check, o: CheckOutcome, durationMs: number): Finding {
  return {
    check: check.name,
    status: o.status,
    // Defence in depth: checks redact, the runner redacts again before anything can be rendered.
    summary: redact(o.summary),
    evidence: redactDeep(o.evidence ?? {}),
    durationMs,
    ref: check.ref,
    ...(o.signals?.length ? { signals: o.signals } : {}),
  };
}
