/**
 * The policy: pure decisions over the `policy` config block, no I/O. Who may run which `/ws` command, who may
 * request and who may approve which action, in which channels; requester ≠ approver unless the action is
 * low-risk and marked `selfApprove`; an approval is valid only before it expires and only for the exact
 * preview (id + digest) the request showed.
 *
 * Every refusal comes with a reason a person can act on ("only @oncall may approve restart-redis").
 */
import type { PolicyConfig } from '../config/policy-schema';
import type { RiskLevel } from './types';

export interface Principal {
  /** Slack user id (`U…`) or `local:<name>` for console and CLI users. */
  id: string;
  /** Slack user group ids (`S…`) this user belongs to, resolved by the adapter. */
  groups?: readonly string[];
  /**
   * Groups the adapter could not look up (Slack refused or did not answer). Membership of these is unknown: the
   * policy never counts them as a match and, when one of them could have allowed the person, says so (fails closed).
   */
  unresolvedGroups?: ReadonlyArray<{ group: string; reason: string }>;
  /** Display name for messages and audit (never used for matching). */
  name?: string;
}

export type Decision = { ok: true } | { ok: false; reason: string };

/** What the policy needs to know about an action (the registry entries satisfy it). */
export interface ActionFacts {
  id: string;
  risk: RiskLevel;
  limits: { cooldownSeconds: number; maxPerHour: number };
  verify: readonly string[];
}

export interface EffectiveLimits {
  cooldownSeconds: number;
  maxPerHour: number;
  breakerFailures: number;
  breakerOpenSeconds: number;
  verify: string[];
}

/** What an approval is checked against (a pending request). */
export interface ApprovalSubject {
  action: string;
  requester: Principal;
  previewId: string;
  digest: string;
  expiresAt: number;
}

const OK: Decision = { ok: true };
/** A Slack user group id as Slack writes them (`S0123ABCD`). */
export const isUserGroup = (p: string): boolean => /^S[A-Z0-9]{2,}$/.test(p);
const no = (reason: string): Decision => ({ ok: false, reason });

/** Problems zod cannot see (unknown action ids, undefined groups, self-approval of a risky action), by key. */
export function policyProblems(cfg: PolicyConfig, actions: readonly ActionFacts[], checkNames?: readonly string[]): string[] {
  const problems: string[] = [];
  const ids = actions.map((a) => a.id);
  const groupRefs = (list: readonly string[] | undefined, key: string): void => {
    for (const p of list ?? []) {
      if (p.startsWith('@') && !(p.slice(1) in cfg.groups)) {
        problems.push(`${key}: group "${p}" is not defined in policy.groups (defined: ${Object.keys(cfg.groups).join(', ') || 'none'})`);
      }
    }
  };
  for (const [name, members] of Object.entries(cfg.groups)) groupRefs(members, `policy.groups.${name}`);
  for (const [cmd, list] of Object.entries(cfg.commands)) groupRefs(list, `policy.commands.${cmd}`);
  groupRefs(cfg.defaults.request, 'policy.defaults.request');
  groupRefs(cfg.defaults.approve, 'policy.defaults.approve');
  for (const [id, rule] of Object.entries(cfg.actions)) {
    const action = actions.find((a) => a.id === id);
    if (!action) {
      problems.push(`policy.actions.${id}: unknown action; expected one of: ${ids.join(', ')}`);
      continue;
    }
    groupRefs(rule.request, `policy.actions.${id}.request`);
    groupRefs(rule.approve, `policy.actions.${id}.approve`);
    if (rule.selfApprove && action.risk !== 'low') {
      problems.push(`policy.actions.${id}.selfApprove: ${id} is ${action.risk}-risk; self-approval is only allowed for low-risk actions`);
    }
    if (checkNames && rule.verify) {
      for (const c of rule.verify) if (!checkNames.includes(c)) problems.push(`policy.actions.${id}.verify: unknown check "${c}"; expected one of: ${checkNames.join(', ')}`);
    }
  }
  return problems;
}

export class Policy {
  constructor(
    readonly cfg: PolicyConfig,
    private readonly actions: readonly ActionFacts[],
  ) {}

  get approvalTtlMs(): number {
    return this.cfg.approvalTtlSeconds * 1000;
  }

  /** Whether `who` matches any of `list` (groups expanded, cycles cut). */
  matches(list: readonly string[], who: Principal, seen: Set<string> = new Set()): boolean {
    for (const p of list) {
      if (p === '*' || p === who.id) return true;
      if (isUserGroup(p) && who.groups?.includes(p) && !who.unresolvedGroups?.some((u) => u.group === p)) return true;
      if (p.startsWith('@') && !seen.has(p)) {
        seen.add(p);
        if (this.matches(this.cfg.groups[p.slice(1)] ?? [], who, seen)) return true;
      }
    }
    return false;
  }

  /** Every Slack user group id (`S…`) the policy names anywhere: what an adapter must look up. */
  userGroups(): string[] {
    const c = this.cfg;
    const lists = [
      ...Object.values(c.groups),
      ...Object.values(c.commands),
      c.defaults.request,
      c.defaults.approve,
      ...Object.values(c.actions).flatMap((r) => [r.request ?? [], r.approve ?? []]),
    ];
    return [...new Set(lists.flat().filter((p) => isUserGroup(p)))].sort();
  }

  /** The S-groups `list` reaches (named groups expanded). */
  private groupsIn(list: readonly string[], seen: Set<string> = new Set()): string[] {
    const out: string[] = [];
    for (const p of list) {
      if (isUserGroup(p)) out.push(p);
      else if (p.startsWith('@') && !seen.has(p)) {
        seen.add(p);
        out.push(...this.groupsIn(this.cfg.groups[p.slice(1)] ?? [], seen));
      }
    }
    return out;
  }

  /** Allowed, or a refusal: "only … may <verb>", or — when a group that could have allowed them was not resolvable — that. */
  private allowed(list: readonly string[], who: Principal, refusal: string): Decision {
    if (this.matches(list, who)) return OK;
    const reachable = new Set(this.groupsIn(list));
    const unknown = (who.unresolvedGroups ?? []).filter((u) => reachable.has(u.group));
    if (unknown.length) {
      const first = unknown[0] as { group: string; reason: string };
      return no(`${refusal}, and your membership of user group ${unknown.map((u) => u.group).join(', ')} could not be checked (${first.reason}): denied until Slack answers`);
    }
    return no(refusal);
  }

  private describe(list: readonly string[]): string {
    return list.length === 0 ? 'nobody' : list.map((p) => (p === '*' ? 'anyone' : p.startsWith('U') || p.startsWith('W') ? `<@${p}>` : p)).join(', ');
  }

  mayRunCommand(command: string, who: Principal): Decision {
    const list = this.cfg.commands[command] ?? this.cfg.commands['*'];
    if (!list) return OK;
    return this.allowed(list, who, `\`${command}\` is limited to ${this.describe(list)}`);
  }

  private rule(actionId: string): PolicyConfig['actions'][string] | undefined {
    return this.cfg.actions[actionId];
  }

  channelAllowed(channel: string | undefined): Decision {
    if (channel === undefined || this.cfg.channels.length === 0) return OK;
    if (this.cfg.channels.includes(channel)) return OK;
    return no(`remediations are not allowed in this channel; use ${this.cfg.channels.map((c) => `<#${c}>`).join(', ')}`);
  }

  mayRequest(actionId: string, who: Principal, channel?: string): Decision {
    const action = this.actions.find((a) => a.id === actionId);
    if (!action) return no(`unknown action \`${actionId}\``);
    const rule = this.rule(actionId);
    if (rule && !rule.enabled) return no(`\`${actionId}\` is disabled by policy (policy.actions.${actionId}.enabled)`);
    const ch = this.channelAllowed(channel);
    if (!ch.ok) return ch;
    const list = rule?.request ?? this.cfg.defaults.request;
    return this.allowed(list, who, `only ${this.describe(list)} may request \`${actionId}\``);
  }

  mayApprove(subject: ApprovalSubject, who: Principal, presented: { previewId: string; digest: string }, now: number, channel?: string): Decision {
    const action = this.actions.find((a) => a.id === subject.action);
    if (!action) return no(`unknown action \`${subject.action}\``);
    const rule = this.rule(subject.action);
    if (rule && !rule.enabled) return no(`\`${subject.action}\` is disabled by policy`);
    if (now >= subject.expiresAt) return no(`this request expired at ${new Date(subject.expiresAt).toISOString()}; request it again`);
    if (presented.previewId !== subject.previewId || presented.digest !== subject.digest) {
      return no('this approval is for another preview than the one pending; look at the current one');
    }
    const ch = this.channelAllowed(channel);
    if (!ch.ok) return ch;
    const list = rule?.approve ?? this.cfg.defaults.approve;
    const may = this.allowed(list, who, `only ${this.describe(list)} may approve \`${subject.action}\``);
    if (!may.ok) return may;
    if (who.id === subject.requester.id) {
      const self = rule?.selfApprove === true && action.risk === 'low';
      if (!self) {
        return no(
          action.risk === 'low'
            ? `you requested this: someone else must approve it (or set policy.actions.${subject.action}.selfApprove)`
            : `you requested this: a ${action.risk}-risk action needs a second person to approve it`,
        );
      }
    }
    return OK;
  }

  /** Who may deny: the requester (withdraw) or anyone who may approve. */
  mayDeny(subject: ApprovalSubject, who: Principal): Decision {
    if (who.id === subject.requester.id) return OK;
    const list = this.rule(subject.action)?.approve ?? this.cfg.defaults.approve;
    return this.allowed(list, who, `only the requester or ${this.describe(list)} may deny \`${subject.action}\``);
  }

  limits(actionId: string): EffectiveLimits {
    const action = this.actions.find((a) => a.id === actionId);
    const rule = this.rule(actionId);
    return {
      cooldownSeconds: rule?.cooldownSeconds ?? action?.limits.cooldownSeconds ?? 60,
      maxPerHour: rule?.maxPerHour ?? action?.limits.maxPerHour ?? 3,
      breakerFailures: this.cfg.breakerFailures,
      breakerOpenSeconds: this.cfg.breakerOpenSeconds,
      verify: [...(rule?.verify ?? action?.verify ?? [])],
    };
  }
}
