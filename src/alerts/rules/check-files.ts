/**
 * `ws-doctor rules check <file…>`: structure, names and references of every rule, and each PromQL expression
 * through Prometheus' own parser when a Prometheus is reachable. Every problem names file, rule and field.
 */
import { PrometheusQueryClient } from '../../targets/prometheus';
import { loadRuleFiles, formatProblem, type RuleProblem } from './load';

export interface RuleCheckReport {
  ok: boolean;
  rules: number;
  promRules: number;
  checkRules: number;
  skippedRecording: number;
  problems: string[];
  warnings: string[];
  /** Whether PromQL went through Prometheus' parser (false: it was unreachable or not configured). */
  promqlVerified: boolean;
}

export async function checkRuleFiles(
  files: readonly string[],
  opts: { checkNames: readonly string[]; prometheusUrl?: string; knownRemediations?: readonly string[]; timeoutMs?: number },
): Promise<RuleCheckReport> {
  // Group intervals are only validated here; any value works as the default.
  const loaded = loadRuleFiles(files, { defaultIntervalMs: 15_000, checkNames: opts.checkNames });
  const problems: RuleProblem[] = [...loaded.problems];
  const warnings: string[] = [];
  let promqlVerified = false;
  // A file with problems yields no rules: re-read each file alone so PromQL of the good files is still checked.
  const rules = loaded.rules.length ? loaded.rules : files.flatMap((f) => loadRuleFiles([f], { defaultIntervalMs: 15_000 }).rules);
  const prom = rules.filter((r) => r.kind === 'prom');
  if (prom.length && opts.prometheusUrl) {
    const client = new PrometheusQueryClient({ url: opts.prometheusUrl, timeoutMs: opts.timeoutMs ?? 5000 });
    const first = await client.validate('vector(1)');
    if (first.kind !== 'ok') {
      warnings.push(`PromQL not verified: Prometheus at ${opts.prometheusUrl} does not answer (${first.error}); only structure was checked.`);
    } else {
      promqlVerified = true;
      for (const r of prom) {
        if (r.kind !== 'prom') continue;
        const v = await client.validate(r.expr);
        if (v.kind === 'bad_query') problems.push({ file: r.source.file, rule: r.name, path: r.source.path, field: 'expr', message: v.error.replace(/^invalid parameter "query": /, '') });
        else if (v.kind === 'unavailable') warnings.push(`${r.source.file}: rule "${r.name}": PromQL not verified (${v.error})`);
      }
    }
  } else if (prom.length) {
    warnings.push('PromQL not verified: no Prometheus configured (give --prometheus URL); only structure was checked.');
  }
  if (opts.knownRemediations) {
    for (const r of rules) {
      for (const id of r.remediations) {
        if (!opts.knownRemediations.includes(id)) warnings.push(`${r.source.file}: rule "${r.name}" (${r.source.path}) remediations: "${id}" is not a known remediation id`);
      }
    }
  }
  const uniq = [...new Set(problems.map(formatProblem))];
  return {
    ok: uniq.length === 0,
    rules: rules.length,
    promRules: prom.length,
    checkRules: rules.length - prom.length,
    skippedRecording: loaded.skippedRecording,
    problems: uniq,
    warnings,
    promqlVerified,
  };
}
