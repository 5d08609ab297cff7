/**
 * The rule file: Prometheus' alerting-rule shape (`groups[].rules[]` with `alert`, `expr`, `for`,
 * `keep_firing_for`, `labels`, `annotations`; recording rules are accepted and skipped) so existing rules paste
 * in unchanged, plus ws-doctor's own fields:
 *
 * - `runbook`: the guide / target-system section a person should read;
 * - `remediations`: remediation ids offered as buttons on the card;
 * - `channel`: Slack channel of the card (default `alerts.channel`);
 * - `severity`: `critical | warning | info` (default: `labels.severity`, else `warning`);
 * - `depends_on`: alert names; while one of them fires this alert is held back in that alert's card;
 * - check rules: `check: <check name>` instead of `expr`: fire after `fail_after` failing runs in a row, resolve
 *   after `resolve_after` passing ones; `status: warn` also counts warnings, `signal:` only findings with it.
 */
import { z } from 'zod';
import { parsePromDuration } from '../../util/prom-duration';

const duration = z
  .string()
  .refine((s) => parsePromDuration(s) !== undefined, { message: 'expected a Prometheus duration like 30s, 5m or 1h30m' });

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labelMap = z.record(z.string().regex(labelName, 'label names are [a-zA-Z_][a-zA-Z0-9_]*'), z.string());

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const alertRuleSchema = z
  .strictObject({
    alert: z.string().regex(/^[A-Za-z_][A-Za-z0-9_:-]*$/, 'alert names are letters, digits, _ : - (no spaces)'),
    expr: z.string().trim().min(1, 'must not be empty').optional(),
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: labelMap.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    // ws-doctor fields
    runbook: z.string().optional(),
    remediations: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'remediation ids are kebab-case')).optional(),
    channel: z.string().min(1).optional(),
    severity: z.enum(SEVERITIES).optional(),
    depends_on: z.array(z.string()).optional(),
    check: z.string().regex(/^[a-z][a-z0-9-]*$/, 'check names are kebab-case').optional(),
    status: z.enum(['fail', 'warn']).optional(),
    signal: z.string().optional(),
    fail_after: z.number().int().min(1).max(1000).optional(),
    resolve_after: z.number().int().min(1).max(1000).optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.expr && !r.check) ctx.addIssue({ code: 'custom', path: ['expr'], message: 'needs `expr` (PromQL) or `check` (a ws-doctor check name)' });
    if (r.expr && r.check) ctx.addIssue({ code: 'custom', path: ['check'], message: 'give either `expr` or `check`, not both' });
    if (!r.check) {
      for (const k of ['status', 'signal', 'fail_after', 'resolve_after'] as const) {
        if (r[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'only check rules (with `check:`) take this field' });
      }
    }
  });

export const recordingRuleSchema = z.strictObject({
  record: z.string().min(1),
  expr: z.string().min(1),
  labels: labelMap.optional(),
});

export const groupSchema = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  interval: duration.optional(),
  limit: z.number().int().nonnegative().optional(),
  query_offset: duration.optional(),
  rules: z.array(z.unknown()).default([]),
});

export const ruleFileSchema = z.strictObject({ groups: z.array(z.unknown()) });

export type RawAlertRule = z.output<typeof alertRuleSchema>;
