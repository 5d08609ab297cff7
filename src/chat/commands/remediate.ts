/**
 * `/ws remediate` — the guarded fixes. Without arguments: the list. With an action: the preview and a card
 * waiting for a second person's approval (`--dry-run`: the preview only). With a runbook id: the guided card.
 * `approve <id> <preview>` / `deny <id>` / `show <id>` / `pending` do by typing what the buttons do, for the
 * console and the CLI (the preview id binds a typed approval to what was shown, exactly like a button).
 */
import { allActions, allRunbooks, findAction, findRunbook } from '../../remediations/registry';
import type { Outcome } from '../../remediations/engine';
import { actionListMessage, dryRunMessage, problemMessage, requestMessage, runbookMessage } from '../remediation-message';
import type { MessageModel } from '../model';
import { closest } from '../parse';
import { inlineCode } from '../text';
import type { CommandContext, CommandSpec } from './types';

const VERBS = ['approve', 'deny', 'show', 'pending'];

function outcomeMessage(out: Outcome, ctx: CommandContext): MessageModel {
  switch (out.kind) {
    case 'done':
      // In Slack the card lives in the channel (kept up to date there by the adapter); the asker gets a pointer.
      if (ctx.surface === 'slack' && out.request.channel && out.request.state === 'pending' && !out.request.approver) {
        return {
          text: `Request ${out.request.id} is in this channel, waiting for a second person to approve it.`,
          blocks: [
            {
              type: 'text',
              text: `:memo: Posted request ${inlineCode(out.request.id)} (${inlineCode(out.request.action)}) in this channel: someone allowed to approve it presses *Approve* on the card. (If the bot cannot post here, the card comes to you in a direct message.)`,
            },
          ],
        };
      }
      return requestMessage(out.request, ctx.prefix);
    case 'already':
      return {
        ...requestMessage(out.request, ctx.prefix),
        text: `Already decided: ${out.request.action} is ${out.request.state}; nothing more was done.`,
      };
    case 'preview':
      return dryRunMessage(out.action, out.env, out.args, out.preview, ctx.prefix);
    case 'refused': {
      const msg = problemMessage(`Refused: ${out.reason}`);
      return out.request ? { ...msg, blocks: [...msg.blocks, ...requestMessage(out.request, ctx.prefix).blocks.filter((b) => b.type !== 'actions')] } : msg;
    }
  }
}

export const remediateCommand: CommandSpec = {
  name: 'remediate',
  usage: 'remediate [<action> [args] [--dry-run] | approve <id> <preview> | deny <id> | show <id> | pending] [--env E]',
  summary: 'Preview a fix and ask a second person to approve it; the bot locks, runs, verifies and audits it.',
  examples: ['remediate', 'remediate restart-backend --dry-run', 'remediate clear-leaked-counters 42', 'remediate fix-ssl-redirect'],
  slow: true,
  validate(args) {
    const first = args[0];
    if (first === undefined || VERBS.includes(first)) {
      if (first === 'approve' && args.length !== 3) return '`remediate approve` needs the request id and the preview id shown on its card.';
      if ((first === 'deny' || first === 'show') && args.length !== 2) return `\`remediate ${first}\` needs the request id.`;
      return undefined;
    }
    if (findRunbook(first)) return undefined;
    if (!findAction(first)) {
      const guess = closest(first, [...allActions.map((a) => a.id), ...allRunbooks.map((r) => r.id)]);
      return `Unknown remediation ${inlineCode(first)}.${guess ? ` Did you mean ${inlineCode(guess)}?` : ''} \`remediate\` lists them.`;
    }
    return undefined;
  },
  async run(ctx, args) {
    const engine = ctx.doctor.remediations;
    const [first, ...rest] = args;
    if (first === undefined) return actionListMessage(allActions, allRunbooks, ctx.prefix);
    const runbook = findRunbook(first);
    if (runbook) return runbookMessage(runbook, ctx.prefix);
    if (!engine) return problemMessage('Remediations need the bot’s state store, which is not configured here.');
    const who = ctx.user ?? { id: 'local:unknown' };
    // A one-shot CLI has no background sweep: settle expired requests and dead bots' runs before answering.
    await engine.sweep().catch(() => undefined);
    if (first === 'approve') {
      const [id, previewId] = rest as [string, string];
      const req = await engine.get(id);
      if (!req) return problemMessage(`No remediation request ${inlineCode(id)}.`);
      // The digest comes from the request; the preview id the person typed proves which preview they saw.
      return outcomeMessage(await engine.approve(id, who, { previewId, digest: req.preview.id === previewId ? req.preview.digest : '' }, ctx.channel), ctx);
    }
    if (first === 'deny') return outcomeMessage(await engine.deny(rest[0] as string, who, ctx.channel), ctx);
    if (first === 'show') {
      const req = await engine.get(rest[0] as string);
      return req ? requestMessage(req, ctx.prefix) : problemMessage(`No remediation request ${inlineCode(rest[0] as string)}.`);
    }
    if (first === 'pending') {
      const open = (await engine.list()).filter((r) => r.state === 'pending');
      if (!open.length) return { text: 'No remediation waits for approval.', blocks: [{ type: 'text', text: 'No remediation waits for approval.' }] };
      return {
        text: `${open.length} waiting for approval`,
        blocks: open.flatMap((r) => requestMessage(r, ctx.prefix).blocks),
      };
    }
    const dryRun = rest.includes('--dry-run');
    const positional = rest.filter((a) => a !== '--dry-run');
    return outcomeMessage(
      await engine.request({ env: ctx.env, action: first, args: positional, requester: who, ...(ctx.channel ? { channel: ctx.channel } : {}), dryRun }),
      ctx,
    );
  },
};
