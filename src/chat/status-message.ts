/** Builds the status answer: verdict first (root cause, next step), one row per check, evidence behind Details. */
import { inlineCode, literal } from './text';
import type { Finding } from '../checks/types';
import type { StatusReport } from '../diagnosis/types';
import type { RunTarget } from './actions/target';
import { verdictFixButtons } from './fix-buttons';
import { OVERALL_EMOJI, STATUS_EMOJI, type MessageBlock, type MessageModel } from './model';

const ORDER = { fail: 0, unknown: 1, warn: 2, ok: 3 } as const;

/** `check` narrows the buttons to one check (the answer of `check <name>`). */
export function statusMessage(report: StatusReport, opts: { check?: string } = {}): MessageModel {
  const { verdict } = report;
  const blocks: MessageBlock[] = [
    { type: 'verdict', overall: verdict.overall, text: verdict.headline },
  ];
  const cause = verdict.rootCause;
  if (cause) {
    blocks.push({
      type: 'text',
      text: `*Why:* ${cause.why}\n*Next step:* ${cause.nextStep}${
        cause.remediations.length ? `\n*Fixes that fit:* ${cause.remediations.map((r) => inlineCode(r)).join(', ')}` : ''
      }`,
    });
  }
  for (const other of verdict.otherCauses) {
    blocks.push({ type: 'text', text: `*Also:* ${other.title} — ${other.nextStep}` });
  }
  // What the probe itself changed (a refused handshake lowers the user's counter, so the next run may differ).
  if (verdict.probeChanges?.length) blocks.push({ type: 'context', text: `The probe changed: ${verdict.probeChanges.join('; ')}` });
  const rows = [...report.findings]
    .sort((a, b) => ORDER[a.status] - ORDER[b.status])
    .map((f) => ({
      status: f.status,
      name: f.check,
      summary: f.summary,
      durationMs: f.durationMs,
      ...(verdict.explainedBy[f.check] ? { explainedBy: verdict.explainedBy[f.check] } : {}),
    }));
  blocks.push({ type: 'checks', rows });
  const counts = countStatuses(report.findings);
  blocks.push({
    type: 'context',
    text: `env ${inlineCode(report.env)} · ${report.findings.length} checks in ${report.durationMs} ms · ${counts}${
      report.timedOut.length ? ` · timed out: ${report.timedOut.join(', ')}` : ''
    } · ${report.startedAt}`,
  });
  const value: RunTarget = { env: report.env, ...(opts.check ? { check: opts.check } : {}) };
  blocks.push({
    type: 'actions',
    actions: [
      { kind: 'rerun', label: 'Re-run', accessibilityLabel: opts.check ? `Run ${opts.check} on ${report.env} again` : `Run every check on ${report.env} again`, value, style: 'primary' },
      { kind: 'details', label: 'Details', accessibilityLabel: 'Show the evidence behind each check', value },
      { kind: 'share', label: 'Post to channel', accessibilityLabel: 'Post this answer to the channel for everyone', value },
      // The root cause's fixes: a press previews it and asks for approval in this channel (`/ws remediate`).
      ...verdictFixButtons(cause, report.env, report.findings),
    ],
  });
  return {
    text: `${OVERALL_EMOJI[verdict.overall]} ${report.env}: ${verdict.headline}`,
    blocks,
    details: detailsMessage(report),
  };
}

/** The evidence of every finding, one code block each: the "Details" view / thread. */
export function detailsMessage(report: StatusReport): MessageModel {
  const blocks: MessageBlock[] = [{ type: 'header', text: `Evidence — ${report.env}` }];
  for (const f of report.findings) {
    blocks.push({
      type: 'text',
      text: `${STATUS_EMOJI[f.status]} *${literal(f.check)}* — ${literal(f.summary)}\n_${literal(f.ref)}_`,
    });
    const ev = Object.entries(f.evidence);
    if (ev.length) blocks.push({ type: 'code', text: ev.map(([k, v]) => `${k}: ${String(v)}`).join('\n') });
  }
  return { text: `Evidence for ${report.env} (${report.findings.length} checks)`, blocks };
}

export function countStatuses(findings: Finding[]): string {
  const c = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  for (const f of findings) c[f.status]++;
  return (['fail', 'warn', 'unknown', 'ok'] as const)
    .filter((s) => c[s] > 0)
    .map((s) => `${c[s]} ${s}`)
    .join(', ');
}
