/** `/ws audit [n] [verify]` — the last n remediation audit records (default 20), and whether the chain holds. */
import { auditMessage, problemMessage } from '../remediation-message';
import type { CommandSpec } from './types';

export const auditCommand: CommandSpec = {
  name: 'audit',
  usage: 'audit [n] [verify]',
  summary: 'Last remediation steps (who, when, what) from the tamper-evident audit log.',
  examples: ['audit', 'audit 50', 'audit verify'],
  slow: false,
  validate(args) {
    const rest = args.filter((a) => a !== 'verify');
    if (rest.length > 1 || (rest[0] !== undefined && !/^\d{1,4}$/.test(rest[0]))) return '`audit` takes a number of records (1–1000) and/or `verify`.';
    return undefined;
  },
  async run(ctx, args) {
    const engine = ctx.doctor.remediations;
    if (!engine) return problemMessage('The audit log lives in the bot’s state store, which is not configured here.');
    const n = Math.min(1000, Math.max(1, Number(args.find((a) => a !== 'verify') ?? 20)));
    const records = (await engine.audit.tail(n)).reverse();
    return auditMessage(records, args.includes('verify') ? await engine.audit.verify() : undefined);
  },
};
