/**
 * Reads all findings together and names the most likely root cause. A cause explains the failures of the
 * checks downstream of it, so the person sees one thing to fix, not nine red lines.
 */
import type { Finding } from '../checks/types';
import { CAUSES, type CauseRule, type FindingIndex } from './causes';
import type { Cause, Overall, Verdict } from './types';

export function indexFindings(findings: readonly Finding[]): FindingIndex {
  const byName = new Map(findings.map((f) => [f.check, f]));
  return {
    get: (c) => byName.get(c),
    hasSignal: (s) => findings.some((f) => f.signals?.includes(s)),
    withSignal: (s) => findings.filter((f) => f.signals?.includes(s)),
    failing: () => findings.filter((f) => f.status === 'fail' || f.status === 'warn'),
    ok: (c) => byName.get(c)?.status === 'ok',
  };
}

function match(rule: CauseRule, idx: FindingIndex): Cause | undefined {
  const matched = [...new Set(rule.signals.flatMap((s) => idx.withSignal(s)))];
  if (!matched.length) return undefined;
  if (rule.when && !rule.when(idx)) return undefined;
  // A verdict never contradicts the checks that passed: a cause refuted by every one of them is not named.
  if (rule.refutedBy?.length && rule.refutedBy.every((c) => idx.ok(c))) return undefined;
  const { signals: _s, when: _w, why, explains, refutedBy: _r, remediationsFor, nextStepFor, ...rest } = rule;
  return {
    ...rest,
    why: why(matched, idx),
    explains: [...explains],
    ...(remediationsFor ? { remediations: remediationsFor(matched, idx) } : {}),
    ...(nextStepFor ? { nextStep: nextStepFor(matched, idx) } : {}),
  };
}

export function diagnose(findings: readonly Finding[], rules: readonly CauseRule[] = CAUSES): Verdict {
  const idx = indexFindings(findings);
  const causes = rules.map((r) => match(r, idx)).filter((c): c is Cause => c !== undefined);
  const explainedBy: Record<string, string> = {};
  const independent: Cause[] = [];
  for (const cause of causes) {
    // A cause whose own evidence is already explained by an earlier (more fundamental) cause is a symptom.
    const ownChecks = findings.filter((f) => cause.explains.includes(f.check) || f.signals?.some((s) => rulesSignals(rules, cause.id).includes(s)));
    const evidence = ownChecks.filter((f) => f.signals?.some((s) => rulesSignals(rules, cause.id).includes(s)));
    const isSymptom = evidence.length > 0 && evidence.every((f) => explainedBy[f.check] !== undefined);
    if (isSymptom) continue;
    independent.push(cause);
    for (const f of findings) {
      if (f.status === 'ok' || explainedBy[f.check]) continue;
      if (cause.explains.includes(f.check) || evidence.includes(f)) explainedBy[f.check] = cause.id;
    }
  }
  // Failing checks no cause accounts for still deserve a line of their own.
  for (const f of findings) {
    if ((f.status === 'fail' || f.status === 'warn') && !explainedBy[f.check]) {
      const generic: Cause = {
        id: `check:${f.check}`,
        title: `${f.check} ${f.status === 'fail' ? 'fails' : 'warns'}`,
        why: f.summary,
        explains: [f.check],
        nextStep: `Run \`check ${f.check}\` for its evidence (${f.ref}).`,
        remediations: [],
        ref: f.ref,
        severity: f.status === 'fail' ? 'down' : 'degraded',
      };
      independent.push(generic);
      explainedBy[f.check] = generic.id;
    }
  }
  const rank = (c: Cause): number => (c.severity === 'down' ? 0 : 1);
  const ordered = [...independent].sort((a, b) => rank(a) - rank(b));
  const overall = overallOf(findings, ordered);
  const [root, ...others] = ordered;
  const probeChanges = findings.flatMap((f) => (typeof f.evidence.probeChanged === 'string' ? [`${f.check}: ${f.evidence.probeChanged}`] : []));
  return {
    overall,
    headline: headline(overall, root, findings, explainedBy),
    ...(root ? { rootCause: root } : {}),
    otherCauses: others,
    explainedBy,
    ...(probeChanges.length ? { probeChanges } : {}),
  };
}

function rulesSignals(rules: readonly CauseRule[], id: string): readonly string[] {
  return rules.find((r) => r.id === id)?.signals ?? [];
}

/**
 * Checks that must have run for "Healthy" to mean the chat path works: when one of them could not run and no
 * cause was found, the verdict is Unknown (exit 1), not Healthy. Other checks that could not run (no Docker
 * engine, Prometheus off) are listed but do not change the verdict (README, "status" exit codes).
 */
export const ESSENTIAL_CHECKS: readonly string[] = ['http-liveness', 'token-issuance', 'chat-handshake'];

function overallOf(findings: readonly Finding[], causes: readonly Cause[]): Overall {
  if (causes.some((c) => c.severity === 'down')) return 'down';
  if (causes.length || findings.some((f) => f.status === 'warn' || f.status === 'fail')) return 'degraded';
  if (findings.length && findings.every((f) => f.status === 'unknown')) return 'unknown';
  if (findings.some((f) => f.status === 'unknown' && ESSENTIAL_CHECKS.includes(f.check))) return 'unknown';
  return 'ok';
}

const OVERALL_WORD: Record<Overall, string> = { ok: 'Healthy', degraded: 'Degraded', down: 'Down', unknown: 'Unknown' };

function headline(overall: Overall, root: Cause | undefined, findings: readonly Finding[], explainedBy: Record<string, string>): string {
  if (!root) {
    const unknown = findings.filter((f) => f.status === 'unknown').map((f) => f.check);
    const passed = findings.length - unknown.length;
    if (overall === 'unknown') return `Unknown: ${passed} checks pass, but these could not run: ${unknown.join(', ')}`;
    return `${OVERALL_WORD[overall]}: all ${passed} checks pass${unknown.length ? ` (could not run: ${unknown.join(', ')})` : ''}`;
  }
  const effects = Object.entries(explainedBy)
    .filter(([check, id]) => id === root.id && !root.id.endsWith(check))
    .map(([check]) => check);
  // Keep the one-liner one line: name a few effects, count the rest.
  const shown = effects.length > 5 ? `${effects.slice(0, 4).join(', ')} and ${effects.length - 4} more` : effects.join(', ');
  return `${OVERALL_WORD[overall]}: ${root.title}${effects.length > 1 ? ` — explains ${shown}` : ''}`;
}
