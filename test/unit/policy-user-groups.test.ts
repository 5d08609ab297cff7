/** Slack user groups (`S…`) in the policy: which ones an adapter must look up, and failing closed on a failed lookup. */
import { policySchema } from '../../src/config/policy-schema';
import { Policy, type ApprovalSubject } from '../../src/remediations/policy';
import { allActions } from '../../src/remediations/registry';

const build = (raw: unknown): Policy => new Policy(policySchema.parse(raw), allActions);
const now = 1_000_000;
const subject = (action: string): ApprovalSubject => ({ action, requester: { id: 'U0ALICE' }, previewId: 'p1', digest: 'd1', expiresAt: now + 600_000 });
const presented = { previewId: 'p1', digest: 'd1' };

const p = build({
  groups: { oncall: ['S0ONCALL', 'U0DAVE'] },
  commands: { remediate: ['S0OPS', '@oncall'] },
  actions: { 'restart-backend': { approve: ['@oncall'] }, 'restart-redis': { request: ['S0DBA'], approve: ['S0DBA'] } },
});

test('every S-group named anywhere (named groups included) is what the adapter looks up', () => {
  expect(p.userGroups()).toEqual(['S0DBA', 'S0ONCALL', 'S0OPS']);
  expect(build({}).userGroups()).toEqual([]);
});

test('membership resolved by the adapter allows; a member of another group does not', () => {
  expect(p.mayApprove(subject('restart-backend'), { id: 'U0BOB', groups: ['S0ONCALL'] }, presented, now)).toEqual({ ok: true });
  expect(p.mayApprove(subject('restart-backend'), { id: 'U0BOB', groups: ['S0OPS'] }, presented, now)).toEqual({ ok: false, reason: 'only @oncall may approve `restart-backend`' });
  expect(p.mayRunCommand('remediate', { id: 'U0EVE', groups: ['S0OPS'] })).toEqual({ ok: true });
});

test('a group that could not be looked up never counts, and the refusal says so (fails closed)', () => {
  const unresolved = [{ group: 'S0ONCALL', reason: 'usergroups.users.list answered missing_scope' }];
  // Even if a stale list said Bob is in it: unknown now means no.
  const d = p.mayApprove(subject('restart-backend'), { id: 'U0BOB', groups: ['S0ONCALL'], unresolvedGroups: unresolved }, presented, now);
  expect(d).toEqual({ ok: false, reason: expect.stringMatching(/only @oncall may approve `restart-backend`, and your membership of user group S0ONCALL could not be checked \(usergroups.users.list answered missing_scope\): denied/) });
  // A person allowed by id is still allowed: the failed group was not needed.
  expect(p.mayApprove(subject('restart-backend'), { id: 'U0DAVE', unresolvedGroups: unresolved }, presented, now)).toEqual({ ok: true });
  // The failure of a group that plays no part in this decision is not mentioned.
  expect(p.mayRequest('restart-redis', { id: 'U0BOB', unresolvedGroups: unresolved })).toEqual({ ok: false, reason: 'only S0DBA may request `restart-redis`' });
  expect(p.mayRunCommand('remediate', { id: 'U0EVE', unresolvedGroups: [{ group: 'S0OPS', reason: 'Slack did not answer' }] })).toMatchObject({ ok: false, reason: expect.stringMatching(/S0OPS could not be checked \(Slack did not answer\)/) });
  expect(p.mayDeny(subject('restart-backend'), { id: 'U0BOB', unresolvedGroups: unresolved })).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be checked/) });
});
