/**
 * Reads rule files into AlertRules. Every problem is collected (not just the first) and names the file, the
 * rule and the field: `rules/x.yml: rule "RedisDown" (groups[0].rules[1]) for: expected a Prometheus duration…`.
 * A file with errors yields no rules at all, so a half-valid file never runs half its rules silently.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { closest } from '../../util/closest';
import { parsePromDuration } from '../../util/prom-duration';
import type { AlertRule } from '../types';
import { alertRuleSchema, groupSchema, recordingRuleSchema, ruleFileSchema, SEVERITIES, type Severity } from './schema';

export interface RuleProblem {
  file: string;
  /** Rule name when known. */
  rule?: string;
  /** `groups[0].rules[2]` */
  path: string;
  field?: string;
  message: string;
}

export interface LoadedRules {
  rules: AlertRule[];
  problems: RuleProblem[];
  /** Recording rules seen and skipped (ws-doctor evaluates alerts only). */
  skippedRecording: number;
}

export function formatProblem(p: RuleProblem): string {
  const who = p.rule ? `rule "${p.rule}" (${p.path})` : p.path || 'file';
  return `${p.file}: ${who}${p.field ? ` ${p.field}` : ''}: ${p.message}`;
}

export interface LoadOptions {
  /** Interval of groups without `interval:` (ms). */
  defaultIntervalMs: number;
  /** Known check names: a check rule naming another one is an error. */
  checkNames?: readonly string[];
}

export function loadRuleFiles(files: readonly string[], opts: LoadOptions): LoadedRules {
  const out: LoadedRules = { rules: [], problems: [], skippedRecording: 0 };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      out.problems.push({ file, path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const r = parseRuleText(text, file, opts);
    out.problems.push(...r.problems);
    out.skippedRecording += r.skippedRecording;
    if (!r.problems.length) out.rules.push(...r.rules);
  }
  const seen = new Map<string, string>();
  for (const rule of out.rules) {
    const where = `${rule.source.file} ${rule.source.path}`;
    const prev = seen.get(rule.name);
    if (prev) out.problems.push({ file: rule.source.file, rule: rule.name, path: rule.source.path, field: 'alert', message: `name already used by ${prev}` });
    else seen.set(rule.name, where);
  }
  for (const rule of out.rules) {
    for (const dep of rule.dependsOn) {
      if (dep === rule.name) out.problems.push(problemOf(rule, 'depends_on', 'an alert cannot depend on itself'));
      else if (!seen.has(dep)) out.problems.push(problemOf(rule, 'depends_on', `names no alert "${dep}"${closestName(dep, [...seen.keys()])}`));
    }
  }
  const cycle = findCycle(out.rules);
  if (cycle) out.problems.push(problemOf(cycle[0]!, 'depends_on', `forms a cycle: ${cycle.map((r) => r.name).join(' → ')} → ${cycle[0]!.name}`));
  if (out.problems.length) out.rules = [];
  return out;
}

function problemOf(rule: AlertRule, field: string, message: string): RuleProblem {
  return { file: rule.source.file, rule: rule.name, path: rule.source.path, field, message };
}

export function parseRuleText(text: string, file: string, opts: LoadOptions): LoadedRules {
  const out: LoadedRules = { rules: [], problems: [], skippedRecording: 0 };
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    out.problems.push({ file, path: '', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return out;
  }
  const top = ruleFileSchema.safeParse(doc ?? {});
  if (!top.success) {
    for (const i of top.error.issues) out.problems.push({ file, path: '', field: i.path.join('.') || 'groups', message: issueText(i) });
    return out;
  }
  const groupNames = new Set<string>();
  top.data.groups.forEach((rawGroup, gi) => {
    const gpath = `groups[${gi}]`;
    const g = groupSchema.safeParse(rawGroup);
    if (!g.success) {
      for (const i of g.error.issues) out.problems.push({ file, path: gpath, field: i.path.join('.'), message: issueText(i) });
      return;
    }
    const group = g.data;
    if (groupNames.has(group.name)) out.problems.push({ file, path: gpath, field: 'name', message: `group name "${group.name}" used twice in this file` });
    groupNames.add(group.name);
    const intervalMs = group.interval ? (parsePromDuration(group.interval) ?? opts.defaultIntervalMs) : opts.defaultIntervalMs;
    group.rules.forEach((rawRule, ri) => {
      const path = `${gpath}.rules[${ri}]`;
      const name = typeof (rawRule as { alert?: unknown })?.alert === 'string' ? (rawRule as { alert: string }).alert : undefined;
      if (rawRule && typeof rawRule === 'object' && 'record' in rawRule) {
        const rec = recordingRuleSchema.safeParse(rawRule);
        if (!rec.success) for (const i of rec.error.issues) out.problems.push({ file, path, field: i.path.join('.'), message: issueText(i) });
        else out.skippedRecording++;
        return;
      }
      const parsed = alertRuleSchema.safeParse(rawRule);
      if (!parsed.success) {
        for (const i of parsed.error.issues) out.problems.push({ file, ...(name ? { rule: name } : {}), path, field: i.path.join('.') || undefined, message: issueText(i) } as RuleProblem);
        return;
      }
      const r = parsed.data;
      if (r.check && opts.checkNames && !opts.checkNames.includes(r.check)) {
        out.problems.push({ file, rule: r.alert, path, field: 'check', message: `names no check "${r.check}"${closestName(r.check, opts.checkNames)}; checks: ${opts.checkNames.join(', ')}` });
        return;
      }
      const labelSeverity = r.labels?.severity;
      const severity: Severity = r.severity ?? ((SEVERITIES as readonly string[]).includes(labelSeverity ?? '') ? (labelSeverity as Severity) : 'warning');
      const base = {
        name: r.alert,
        group: group.name,
        labels: r.labels ?? {},
        annotations: r.annotations ?? {},
        ...(r.runbook ? { runbook: r.runbook } : {}),
        remediations: r.remediations ?? [],
        ...(r.channel ? { channel: r.channel } : {}),
        severity,
        dependsOn: r.depends_on ?? [],
        intervalMs,
        source: { file, group: group.name, path },
      };
      if (r.check) {
        out.rules.push({
          ...base,
          kind: 'check',
          check: r.check,
          failOn: r.status ?? 'fail',
          ...(r.signal ? { signal: r.signal } : {}),
          failAfter: r.fail_after ?? 3,
          resolveAfter: r.resolve_after ?? 2,
        });
      } else {
        out.rules.push({
          ...base,
          kind: 'prom',
          expr: r.expr ?? '',
          forMs: r.for ? (parsePromDuration(r.for) ?? 0) : 0,
          keepFiringForMs: r.keep_firing_for ? (parsePromDuration(r.keep_firing_for) ?? 0) : 0,
        });
      }
    });
  });
  return out;
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  return i.message;
}

function closestName(name: string, names: readonly string[]): string {
  // closest() lower-cases the word only: compare lower-cased names and map the guess back.
  const guess = closest(name, names.map((n) => n.toLowerCase()));
  const original = guess === undefined ? undefined : names.find((n) => n.toLowerCase() === guess);
  return original ? ` (did you mean "${original}"?)` : '';
}

function findCycle(rules: AlertRule[]): AlertRule[] | undefined {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: AlertRule[] = [];
  const visit = (r: AlertRule): AlertRule[] | undefined => {
    if (state.get(r.name) === 'done') return undefined;
    if (state.get(r.name) === 'visiting') return stack.slice(stack.indexOf(r));
    state.set(r.name, 'visiting');
    stack.push(r);
    for (const d of r.dependsOn) {
      const dep = byName.get(d);
      const c = dep && visit(dep);
      if (c) return c;
    }
    stack.pop();
    state.set(r.name, 'done');
    return undefined;
  };
  for (const r of rules) {
    const c = visit(r);
    if (c) return c;
  }
  return undefined;
}
