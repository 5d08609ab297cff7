/**
 * `/ws why <symptom>` — symptom triage: runs only the checks that split that symptom's causes, answers with the
 * cause found, and says where the troubleshooting guide's own advice is wrong on the real code. Unknown
 * symptoms get the list with the closest match.
 */
import { findSymptom, SYMPTOMS } from '../../diagnosis/symptoms';
import type { MessageBlock } from '../model';
import { closest } from '../parse';
import { inlineCode } from '../text';
import { statusMessage } from '../status-message';
import type { CommandSpec } from './types';

const known = (): string => SYMPTOMS.map((s) => `${inlineCode(s.id)} (${s.title})`).join('; ');

export const whyCommand: CommandSpec = {
  name: 'why',
  usage: 'why <symptom> [--env E]',
  summary: "Triage one symptom (offline, no-messages, timeout, auth/4001, duplicates, port-3000): only the checks that split its causes, and where the guide's advice is wrong.",
  examples: ['why offline', 'why 4001', 'why messages not displaying', 'why port 3000'],
  slow: true,
  validate(args) {
    const text = args.join(' ');
    if (!text.trim()) return `\`why\` needs a symptom. Known symptoms: ${known()}.`;
    if (findSymptom(text)) return undefined;
    // Bounded: the edit distance is quadratic, and the text is whatever someone typed.
    const guess = closest(text.toLowerCase().slice(0, 40), SYMPTOMS.flatMap((s) => [s.id, ...s.aliases]));
    const hit = guess ? findSymptom(guess) : undefined;
    return `No symptom ${inlineCode(text.slice(0, 60))}.${hit ? ` Did you mean ${inlineCode(hit.id)}?` : ''} Known symptoms: ${known()}.`;
  },
  async run(ctx, args) {
    const symptom = findSymptom(args.join(' '));
    if (!symptom) throw new Error('why called without validation');
    const available = new Set(ctx.doctor.checkNames(ctx.env));
    const checks = symptom.checks.filter((c) => available.has(c));
    const skipped = symptom.checks.filter((c) => !available.has(c));
    const report = await ctx.doctor.status(ctx.env, { checks });
    const msg = statusMessage(report);
    const cause = report.verdict.rootCause;
    const intro: MessageBlock[] = [
      { type: 'header', text: `Why: ${symptom.title}` },
      {
        type: 'text',
        text: `${cause ? `Cause found: *${cause.title}*.` : report.verdict.overall === 'ok' ? 'None of its causes is present right now.' : 'No single cause found.'} Checked: ${checks.map(inlineCode).join(', ')}${
          skipped.length ? ` (not enabled here: ${skipped.map(inlineCode).join(', ')})` : ''
        } — they tell apart ${symptom.splits}.`,
      },
    ];
    const guide: MessageBlock[] = [{ type: 'text', text: `*Where the guide is wrong on the real code:*\n${symptom.guideIsWrong.map((g) => `• ${g}`).join('\n')}` }];
    return { ...msg, text: `why ${symptom.id}: ${report.verdict.headline}`, blocks: [...intro, ...msg.blocks, ...guide] };
  },
};
