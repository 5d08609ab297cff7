/** The remediation policy, pure: who may request/approve/run, self-approval, expiry, preview binding, channels. */
import { policySchema } from '../../src/config/policy-schema';
import { Policy, policyProblems, type ApprovalSubject } from '../../src/remediations/policy';
import { allActions } from '../../src/remediations/registry';
import { parseConfig } from '../../src/config/load';

const build = (raw: unknown): Policy => new Policy(policySchema.parse(raw), allActions);
const alice = { id: 'UALICE' };
const bob = { id: 'UBOB' };
const carol = { id: 'UCAROL', groups: ['SONCALL'] };
const now = 1_000_000;
const subject = (action: string, requester = alice): ApprovalSubject => ({ action, requester, previewId: 'p1', digest: 'd1', expiresAt: now + 600_000 });
const presented = { previewId: 'p1', digest: 'd1' };

describe('defaults', () => {
  const p = build({});
  test('anyone may request; another person may approve; the requester may not', () => {
    expect(p.mayRequest('restart-backend', alice)).toEqual({ ok: true });
    expect(p.mayApprove(subject('restart-backend'), bob, presented, now)).toEqual({ ok: true });
    const self = p.mayApprove(subject('restart-backend'), alice, presented, now);
    expect(self).toEqual({ ok: false, reason: expect.stringMatching(/second person/) });
  });
  test('approval expires after 10 minutes', () => {
    expect(p.approvalTtlMs).toBe(600_000);
    expect(p.mayApprove(subject('restart-backend'), bob, presented, now + 600_000)).toEqual({ ok: false, reason: expect.stringMatching(/expired/) });
  });
  test('an approval bound to another preview id or digest is refused', () => {
    expect(p.mayApprove(subject('restart-backend'), bob, { previewId: 'p2', digest: 'd1' }, now).ok).toBe(false);
    expect(p.mayApprove(subject('restart-backend'), bob, { previewId: 'p1', digest: 'dX' }, now).ok).toBe(false);
  });
  test('unknown action refused; commands open to anyone', () => {
    expect(p.mayRequest('rm-rf', alice).ok).toBe(false);
    expect(p.mayRunCommand('remediate', alice)).toEqual({ ok: true });
  });
  test('limits come from the action', () => {
    expect(p.limits('restart-backend')).toMatchObject({ cooldownSeconds: 60, maxPerHour: 3, breakerFailures: 2, verify: ['http-liveness', 'ws-edge', 'chat-handshake'] });
  });
});

describe('configured policy', () => {
  const p = build({
    groups: { oncall: ['UCAROL', 'SONCALL'], leads: ['@oncall', 'UDAVE'] },
    channels: ['COPS'],
    commands: { remediate: ['@oncall', 'UALICE'], logs: ['@leads'] },
    actions: {
      'restart-redis': { request: ['UALICE', '@oncall'], approve: ['@leads'] },
      'clear-leaked-counters': { selfApprove: true },
      'restart-all': { enabled: false },
      'restart-backend': { maxPerHour: 5, verify: ['http-liveness'] },
    },
  });
  test('non-approver refused, group member (via Slack user group) allowed, nested groups expand', () => {
    expect(p.mayApprove(subject('restart-redis'), bob, presented, now, 'COPS')).toEqual({ ok: false, reason: expect.stringMatching(/only @leads may approve/) });
    expect(p.mayApprove(subject('restart-redis'), { id: 'UX', groups: ['SONCALL'] }, presented, now, 'COPS')).toEqual({ ok: true });
    expect(p.mayApprove(subject('restart-redis'), { id: 'UDAVE' }, presented, now, 'COPS')).toEqual({ ok: true });
  });
  test('requester not in the list refused', () => {
    expect(p.mayRequest('restart-redis', bob, 'COPS')).toEqual({ ok: false, reason: expect.stringMatching(/only <@UALICE>, @oncall may request/) });
    expect(p.mayRequest('restart-redis', carol, 'COPS')).toEqual({ ok: true });
  });
  test('channel allow-list (Slack only; console and CLI have no channel)', () => {
    expect(p.mayRequest('restart-redis', alice, 'CRANDOM')).toEqual({ ok: false, reason: expect.stringMatching(/not allowed in this channel/) });
    expect(p.mayRequest('restart-redis', alice)).toEqual({ ok: true });
    expect(p.mayApprove(subject('restart-redis'), carol, presented, now, 'CRANDOM').ok).toBe(false);
  });
  test('self-approval only where allowed for a low-risk action', () => {
    expect(p.mayApprove(subject('clear-leaked-counters', bob), bob, presented, now)).toEqual({ ok: true });
    expect(p.mayApprove(subject('flush-connection-tokens', bob), bob, presented, now)).toEqual({ ok: false, reason: expect.stringMatching(/someone else must approve/) });
  });
  test('disabled action refused', () => {
    expect(p.mayRequest('restart-all', carol, 'COPS')).toEqual({ ok: false, reason: expect.stringMatching(/disabled by policy/) });
  });
  test('commands gated by the same policy', () => {
    expect(p.mayRunCommand('remediate', bob)).toEqual({ ok: false, reason: expect.stringMatching(/`remediate` is limited to @oncall/) });
    expect(p.mayRunCommand('remediate', alice)).toEqual({ ok: true });
    expect(p.mayRunCommand('logs', { id: 'UDAVE' })).toEqual({ ok: true });
    expect(p.mayRunCommand('status', bob)).toEqual({ ok: true });
  });
  test('deny: requester withdraws, approvers deny, others cannot', () => {
    expect(p.mayDeny(subject('restart-redis'), alice)).toEqual({ ok: true });
    expect(p.mayDeny(subject('restart-redis'), carol)).toEqual({ ok: true });
    expect(p.mayDeny(subject('restart-redis'), bob).ok).toBe(false);
  });
  test('limits and verify overrides', () => {
    expect(p.limits('restart-backend')).toMatchObject({ maxPerHour: 5, cooldownSeconds: 60, verify: ['http-liveness'] });
  });
});

describe('config errors name the key', () => {
  test('zod: bad principal and bad channel', () => {
    const run = (): unknown => parseConfig({ policy: { actions: { 'restart-backend': { approve: ['bob'] } }, channels: ['general'] } });
    expect(run).toThrow(/policy\.actions\.restart-backend\.approve\.0: a Slack user id .*found "bob"/);
    expect(run).toThrow(/policy\.channels\.0: a Slack channel id .*found "general"/);
  });
  test('unknown action, undefined group, self-approval of a risky action, unknown verify check', () => {
    const cfg = policySchema.parse({
      groups: { ops: ['@nobody'] },
      actions: { 'restart-everything': {}, 'restart-redis': { selfApprove: true, verify: ['nope'] } },
    });
    expect(policyProblems(cfg, allActions, ['redis'])).toEqual([
      'policy.groups.ops: group "@nobody" is not defined in policy.groups (defined: ops)',
      expect.stringMatching(/^policy\.actions\.restart-everything: unknown action; expected one of: restart-backend, /),
      'policy.actions.restart-redis.selfApprove: restart-redis is high-risk; self-approval is only allowed for low-risk actions',
      'policy.actions.restart-redis.verify: unknown check "nope"; expected one of: redis',
    ]);
  });
});
