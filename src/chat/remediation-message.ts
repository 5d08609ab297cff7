/**
 * The remediation card: one message per request that tells the whole story in place — what was asked, the
 * preview (exactly what it touches), who approved, progress, the result, before/after of the checks. The
 * buttons exist only while a decision is open; once decided they are replaced by the decision, so nobody can
 * click twice. Rendering-neutral (Slack and console render it).
 */
import type { AuditRecord, VerifyResult } from '../remediations/audit';
import type { Principal } from '../remediations/policy';
import type { RemediationRequest, StoredPreview } from '../remediations/request';
import type { AnyAction, Runbook } from '../remediations/types';
import { STATUS_EMOJI, type MessageAction, type MessageBlock, type MessageModel } from './model';
import { inlineCode } from './text';
import type { Status } from '../checks/types';

const STATE_LINE: Record<RemediationRequest['state'], string> = {
  pending: '🟡 Waiting for approval',
  approved: '🔵 Approved — checking guards',
  executing: '⏳ Executing',
  verifying: '🔎 Verifying',
  succeeded: '✅ Done and verified',
  failed: '❌ Failed',
  denied: '🚫 Denied',
  expired: '⌛ Expired',
  refused: '⛔ Refused',
  interrupted: '⚠️ Interrupted',
};

export function who(p: Principal | undefined): string {
  if (!p) return 'nobody';
  return p.name ? `${p.name} (${p.id})` : p.id;
}

/** The value an Approve/Deny button carries: the request and the exact preview it is bound to. */
export interface DecisionValue {
  id: string;
  previewId: string;
  digest: string;
}

export function previewBlocks(p: StoredPreview | (Omit<StoredPreview, 'id' | 'digest' | 'at'> & Partial<StoredPreview>)): MessageBlock[] {
  const blocks: MessageBlock[] = [{ type: 'text', text: `*Preview:* ${p.summary}` }];
  if (p.items.length) {
    const lines = p.items.slice(0, 30).map((i) => `${i.kind === 'note' ? '·' : '•'} ${i.label} — ${i.detail}`);
    if (p.items.length > 30) lines.push(`… and ${p.items.length - 30} more`);
    blocks.push({ type: 'code', text: lines.join('\n') });
  }
  if (p.warning) blocks.push({ type: 'text', text: `:warning: ${p.warning}` });
  return blocks;
}

export function requestMessage(r: RemediationRequest, prefix: string): MessageModel {
  const blocks: MessageBlock[] = [{ type: 'header', text: `${r.title} — ${r.env}` }];
  blocks.push({
    type: 'fields',
    fields: [
      { label: 'Action', value: inlineCode(`${r.action}${Object.values(r.args).map((a) => ` ${a}`).join('')}`) },
      { label: 'Risk', value: r.risk },
      { label: 'Requested by', value: who(r.requester) },
      { label: 'Blast radius', value: r.blastRadius },
    ],
  });
  if (r.drift) {
    const gone = r.drift.gone.length ? `gone: ${r.drift.gone.map(inlineCode).join(', ')}` : '';
    const added = r.drift.added.length ? `new: ${r.drift.added.map(inlineCode).join(', ')}` : '';
    blocks.push({
      type: 'text',
      text: `:warning: *The state changed since it was approved* — nothing was done; approve the new preview.\nApproved: ${r.drift.previous}\n${[gone, added].filter(Boolean).join('\n')}`,
    });
  }
  blocks.push(...previewBlocks(r.preview));
  if (r.steps.length) blocks.push({ type: 'text', text: r.steps.map((s) => `${s.done ? '✅' : '⏳'} ${s.step}`).join('\n') });
  if (r.result) blocks.push({ type: 'text', text: `*Result:* ${r.result.summary}${r.result.fix ? `\n*Fix:* ${r.result.fix}` : ''}` });
  if (r.after?.length) blocks.push({ type: 'checks', rows: r.after.map((c) => ({ status: c.status as Status, name: c.check, summary: c.summary, durationMs: 0 })) });
  const decided = r.approver ? `approved by ${who(r.approver)}` : r.decidedBy ? `by ${who(r.decidedBy)}` : '';
  const status = `${STATE_LINE[r.state]}${decided ? ` · ${decided}` : ''}${r.reason ? ` — ${r.reason}` : ''}`;
  blocks.push({ type: 'text', text: `*${status.split(' — ')[0]}*${r.reason ? ` — ${r.reason}` : ''}` });
  const actions: MessageAction[] = [];
  if (r.state === 'pending') {
    const value: DecisionValue = { id: r.id, previewId: r.preview.id, digest: r.preview.digest };
    actions.push(
      {
        kind: 'approve',
        label: 'Approve',
        value,
        style: 'primary',
        confirm: { title: `Run ${r.action}?`, text: `${r.preview.summary}. ${r.blastRadius}.`.slice(0, 300), confirm: 'Run it', deny: 'Cancel' },
      },
      { kind: 'deny', label: 'Deny', value, style: 'danger' },
    );
    blocks.push({
      type: 'context',
      text: `${r.id} · preview ${r.preview.id} · expires ${new Date(r.expiresAt).toISOString()} · or type ${inlineCode(`${prefix} remediate approve ${r.id} ${r.preview.id}`)}`,
    });
  } else {
    blocks.push({ type: 'context', text: `${r.id} · preview ${r.preview.id} · requested ${r.createdAt}${r.finishedAt ? ` · finished ${r.finishedAt}` : ''}` });
  }
  if (r.state === 'succeeded' && r.followUps?.length) {
    for (const f of r.followUps) actions.push({ kind: 'remediate', label: `Request ${f}`, value: { env: r.env, action: f } });
    blocks.push({ type: 'text', text: `*Next:* ${r.followUps.map((f) => inlineCode(`${prefix} remediate ${f}`)).join(', ')}` });
  }
  if (actions.length) blocks.push({ type: 'actions', actions });
  const model: MessageModel = { text: `${STATE_LINE[r.state]}: ${r.action} on ${r.env}${r.reason ? ` — ${r.reason}` : ''}`, blocks, visibility: 'channel' };
  const ba = beforeAfter(r);
  if (ba) model.details = ba;
  return model;
}

/** Before/after of the verify checks: posted in the thread once the request is finished. */
export function beforeAfter(r: RemediationRequest): MessageModel | undefined {
  if (!r.before?.length && !r.after?.length) return undefined;
  const lines = (r.after ?? r.before ?? []).map((c) => {
    const b = r.before?.find((x) => x.check === c.check);
    const a = r.after?.find((x) => x.check === c.check);
    const mark = (s?: string): string => (s ? (STATUS_EMOJI[s as Status] ?? s) : '—');
    return `${c.check.padEnd(16)} before ${mark(b?.status)}  after ${mark(a?.status)}  ${a?.summary ?? b?.summary ?? ''}`;
  });
  return {
    text: `Before/after for ${r.action} (${r.id})`,
    blocks: [{ type: 'text', text: `*Before → after* (${r.verifyAttempts ?? 0} verification attempt${r.verifyAttempts === 1 ? '' : 's'})` }, { type: 'code', text: lines.join('\n') }],
  };
}

export function dryRunMessage(action: AnyAction, env: string, args: Record<string, string>, preview: StoredPreview, prefix: string): MessageModel {
  const cmd = `${action.id}${Object.values(args).map((a) => ` ${a}`).join('')}`;
  return {
    text: `Dry run of ${action.id} on ${env}: ${preview.summary}`,
    blocks: [
      { type: 'header', text: `Dry run: ${action.title} — ${env}` },
      { type: 'fields', fields: [{ label: 'Risk', value: action.risk }, { label: 'Blast radius', value: action.blastRadius }] },
      ...previewBlocks(preview),
      { type: 'context', text: `Nothing was done. Checks afterwards: ${action.verify.map(inlineCode).join(', ') || 'none'} · request it with ${inlineCode(`${prefix} remediate ${cmd}`)}` },
    ],
  };
}

export function runbookMessage(rb: Runbook, prefix: string): MessageModel {
  const blocks: MessageBlock[] = [{ type: 'header', text: `Runbook: ${rb.title}` }, { type: 'text', text: `*When:* ${rb.symptom}` }];
  rb.steps.forEach((s, i) => {
    blocks.push({ type: 'text', text: `*${i + 1}.* ${s.text}` });
    if (s.code) blocks.push({ type: 'code', text: s.code });
  });
  blocks.push({ type: 'context', text: `${rb.ref} · a manual fix: ws-doctor will not change settings for you · afterwards: ${rb.verify.map((c) => inlineCode(`${prefix} check ${c}`)).join(', ')}` });
  return { text: `Runbook ${rb.id}: ${rb.title}`, blocks };
}

export function actionListMessage(actions: readonly AnyAction[], runbooks: readonly Runbook[], prefix: string): MessageModel {
  const rows = actions.map((a) => `• ${inlineCode(`${a.id}${a.params.map((p) => ` <${p.name}>`).join('')}`)} — ${a.title} (${a.risk} risk) — ${a.blastRadius}`);
  const rbs = runbooks.map((r) => `• ${inlineCode(r.id)} — ${r.title} (runbook card)`);
  return {
    text: `${actions.length} remediations, ${runbooks.length} runbooks`,
    blocks: [
      { type: 'header', text: 'Remediations' },
      { type: 'text', text: rows.join('\n') },
      { type: 'text', text: `*Manual fixes (guided cards):*\n${rbs.join('\n')}` },
      { type: 'context', text: `${inlineCode(`${prefix} remediate <action> [args] [--dry-run]`)} previews it and asks for approval; a second person approves.` },
    ],
  };
}

export function auditMessage(records: Array<AuditRecord & { seq: number }>, verify?: VerifyResult): MessageModel {
  const lines = records.map((r) => {
    const d = r.detail;
    const what = (d.reason ?? d.summary ?? d.digest ?? '') as string;
    return `#${r.seq} ${r.at.replace(/\.\d{3}Z$/, 'Z')} ${r.step.padEnd(11)} ${r.action} ${r.request} by ${r.actorName ?? r.actor}${what ? ` — ${String(what).slice(0, 120)}` : ''}`;
  });
  const blocks: MessageBlock[] = [{ type: 'header', text: 'Remediation audit' }, lines.length ? { type: 'code', text: lines.join('\n') } : { type: 'text', text: 'No audit records yet.' }];
  if (verify) {
    blocks.push({
      type: 'context',
      text: verify.ok
        ? `✅ chain verifies: ${verify.records} records, head ${verify.headHash.slice(0, 16)}`
        : `❌ chain broken at #${verify.broken?.seq}: ${verify.broken?.reason}`,
    });
  }
  return { text: `Audit: last ${records.length} records`, blocks };
}

/** A refusal or a problem, said plainly (same shape as dispatch's error answers). */
export function problemMessage(text: string): MessageModel {
  return { text: text.split('\n')[0] ?? text, blocks: [{ type: 'text', text: `:warning: ${text}` }] };
}
