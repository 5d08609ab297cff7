/**
 * Who may do what: the `policy` block of the config (one for every environment, so a staging rule cannot
 * silently differ from production's). Read by remediations/policy.ts, which also checks what zod cannot
 * know (that action ids and group names exist) with the same named-key errors.
 *
 * A principal is a Slack user id (`U…`/`W…`), a Slack user group id (`S…`), a group defined here (`@oncall`),
 * a console/CLI user (`local:<name>`), or `*` (anyone).
 */
import { z } from 'zod';

const principal = z
  .string()
  .regex(/^(\*|[UWS][A-Z0-9]{2,}|@[a-z][a-z0-9_-]*|local:[A-Za-z0-9._-]+)$/, 'a Slack user id (U…), user group id (S…), @group, local:<name> or *');

const principals = z.array(principal);

export const actionPolicySchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Offer and run this action at all.'),
  request: principals.optional().describe('Who may request it (default: `policy.defaults.request`).'),
  approve: principals.optional().describe('Who may approve it (default: `policy.defaults.approve`).'),
  selfApprove: z
    .boolean()
    .default(false)
    .describe('Let the requester approve their own request. Refused at start unless the action is low-risk.'),
  cooldownSeconds: z.number().int().nonnegative().optional().describe("Least time between two runs on one target (default: the action's own)."),
  maxPerHour: z.number().int().positive().optional().describe("Most runs per target in any hour (default: the action's own)."),
  verify: z.array(z.string()).optional().describe("Checks that must pass afterwards (default: the action's own)."),
});

export const policySchema = z
  .strictObject({
    groups: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'group names are lower-case words'), principals)
      .default({})
      .describe('Named groups of principals, used as `@name`.'),
    channels: z
      .array(z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id (C…, G… or D…)'))
      .default([])
      .describe('Slack channels where remediations may be requested and approved; empty = any channel.'),
    commands: z
      .record(z.string(), principals)
      .default({})
      .describe('Who may run each `/ws` command (`status`, `logs`, `remediate`, `audit`, … or `*`); unlisted = anyone.'),
    defaults: z
      .strictObject({
        request: principals.default(['*']).describe('Who may request an action without its own list.'),
        approve: principals.default(['*']).describe('Who may approve an action without its own list (never the requester unless `selfApprove`).'),
      })
      .prefault({}),
    actions: z.record(z.string(), actionPolicySchema).default({}).describe('Per-action rules, by remediation id.'),
    approvalTtlSeconds: z.number().int().positive().max(86400).default(600).describe('How long a request waits for approval before it expires.'),
    verifyDeadlineSeconds: z.number().int().positive().default(120).describe('How long verification re-runs the checks before it calls the action failed.'),
    lockTtlSeconds: z
      .number()
      .int()
      .positive()
      .max(600)
      .default(30)
      .describe('Lease of a target lock, renewed while an action runs: a bot that died mid-action is found (and its run called interrupted) after this long.'),
    breakerFailures: z.number().int().positive().default(2).describe('Failed runs in a row (per action and target) that open the circuit breaker.'),
    breakerOpenSeconds: z.number().int().positive().default(1800).describe('How long an open breaker refuses the action.'),
    userGroupCacheSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('How long the members of a Slack user group (`S…`) are trusted before `usergroups.users.list` is asked again; a failed lookup denies, never grants.'),
  })
  .prefault({});

export type PolicyConfig = z.output<typeof policySchema>;
export type ActionPolicyConfig = z.output<typeof actionPolicySchema>;
