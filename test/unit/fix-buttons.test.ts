/** "Request this fix" buttons: which fixes become buttons, on the status answer and on an incident card. */
import { newState } from '../../src/alerts/state-machine';
import type { AlertState, IncidentView } from '../../src/alerts/types';
import { remediateAction } from '../../src/chat/actions/remediate';
import { ActionSeal, sealActions } from '../../src/chat/actions/seal';
import { incidentCard } from '../../src/chat/alert-card';
import { causeRemediations, fixButtons, MAX_FIX_BUTTONS } from '../../src/chat/fix-buttons';
import type { MessageAction, MessageModel } from '../../src/chat/model';
import { statusMessage } from '../../src/chat/status-message';
import type { Finding } from '../../src/checks/types';
import { diagnose } from '../../src/diagnosis/diagnose';
import { renderMessage } from '../../src/slack/render';
import { randomBytes } from 'node:crypto';

const buttons = (m: MessageModel): MessageAction[] => m.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : []));

const finding = (check: string, status: Finding['status'], signals: string[] = [], evidence: Finding['evidence'] = {}): Finding => ({
  check,
  status,
  summary: `${check} ${status}`,
  evidence,
  signals,
  durationMs: 1,
  ref: 'x',
});

test('known actions and runbooks only; an action needing an argument only when the evidence gives it', () => {
  const b = fixButtons(['restart-backend', 'fix-ssl-redirect', 'fix-allowed-hosts', 'clear-leaked-counters', 'restart-backend'], 'local');
  expect(b.map((x) => x.label)).toEqual(['Request restart-backend', 'Runbook: fix-ssl-redirect']);
  expect(b.every((x) => x.kind === 'remediate')).toBe(true);
  const withUser = fixButtons(['clear-leaked-counters'], 'local', (p) => (p === 'user' ? '42' : undefined));
  expect(withUser).toEqual([expect.objectContaining({ label: 'Request clear-leaked-counters 42', value: { env: 'local', action: 'clear-leaked-counters', args: ['42'] } })]);
  const many = fixButtons(['restart-backend', 'restart-celery', 'restart-redis', 'restart-all', 'flush-connection-tokens', 'stop-frontend', 'fix-origins'], 'local');
  expect(many).toHaveLength(MAX_FIX_BUTTONS);
  // Every value passes the action's own schema (what a press checks).
  for (const x of [...b, ...withUser, ...many]) expect(remediateAction.schema.safeParse(x.value).success).toBe(true);
  expect(remediateAction.schema.safeParse({ env: 'local', action: 'clear-leaked-counters', args: ['--dry-run'] }).success).toBe(false);
});

test('the status answer carries the root cause\'s fix (with the probe user from the evidence), sealed and within Block Kit limits', () => {
  const findings = [
    finding('http-liveness', 'ok'),
    finding('token-issuance', 'ok'),
    finding('chat-handshake', 'fail', ['handshake-403', 'handshake-403-connection-limit'], { probeUserId: 7, refusal: 'connection-limit' }),
  ];
  const verdict = diagnose(findings);
  expect(verdict.rootCause?.id).toBe('probe-user-connection-limit');
  const model = statusMessage({ env: 'local', startedAt: 'now', durationMs: 5, findings, verdict, timedOut: [] } as never);
  const fix = buttons(model).find((a) => a.kind === 'remediate');
  expect(fix).toMatchObject({ label: 'Request clear-leaked-counters 7', value: { env: 'local', action: 'clear-leaked-counters', args: ['7'] } });
  const seal = new ActionSeal(randomBytes(32));
  const rendered = renderMessage(sealActions(model, seal, 'ref1'));
  const elements = rendered.blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as { elements: Array<{ value: string; action_id: string }> }).elements);
  expect(new Set(elements.map((e) => e.action_id)).size).toBe(elements.length);
  const value = elements.find((e) => e.action_id.startsWith('wsd:remediate:'))!.value;
  expect(value.length).toBeLessThanOrEqual(2000);
  expect(seal.unseal('remediate', value)).toMatchObject({ ok: true, unsealed: { value: { action: 'clear-leaked-counters', args: ['7'] } } });
  // A healthy answer offers no fix.
  const healthy = [finding('http-liveness', 'ok')];
  expect(buttons(statusMessage({ env: 'local', startedAt: 'now', durationMs: 1, findings: healthy, verdict: diagnose(healthy), timedOut: [] } as never)).some((a) => a.kind === 'remediate')).toBe(false);
});

const alert = (over: Partial<AlertState> = {}): AlertState => ({
  ...newState({ fingerprint: 'f', rule: 'WebDown', env: 'demo', origin: 'rule', labels: { alertname: 'WebDown' }, annotations: { summary: 'web down' }, severity: 'critical' }, 0),
  phase: 'firing',
  firedAt: 1000,
  ...over,
});

test('an incident card whose cause came from the diagnosis offers that cause\'s fixes next to the rule\'s own', () => {
  expect(causeRemediations('backend-down')).toEqual(['restart-backend']);
  expect(causeRemediations('no-such-cause')).toEqual([]);
  const view: IncidentView = {
    incident: { key: 'alert:demo:f', env: 'demo', title: 'web down', members: ['f'], openedAt: 1000, cause: { kind: 'diagnosis', id: 'backend-down', title: 'The backend is not answering' } },
    root: alert(),
    symptoms: [],
    status: 'firing',
  };
  const fixes = buttons(incidentCard(view).model).filter((a) => a.kind === 'remediate');
  expect(fixes).toEqual([expect.objectContaining({ label: 'Fix: restart-backend', value: { env: 'demo', action: 'restart-backend' } })]);
  // Resolved or test cards offer nothing.
  expect(buttons(incidentCard({ ...view, status: 'resolved' }).model)).toEqual([]);
});
