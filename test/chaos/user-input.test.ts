/**
 * Chaos area: what people type. A catastrophic `--grep` pattern cannot block the event loop; patterns the
 * linear-time engine cannot run are refused with a sentence; any command text at all gets an answer or a
 * clear error (fast-check), never an exception — and never markup in the answer.
 */
import fc from 'fast-check';
import { dispatch } from '../../src/chat/dispatch';
import type { DoctorApi } from '../../src/core/api';
import { renderMessage } from '../../src/slack/render';
import { matcher } from '../../src/logs/logs-command';
import { liveMarkup } from '../peers/slack-blocks';
import { chaosRow, observe } from './row';

const doctor: DoctorApi = {
  defaultEnv: 'local',
  envNames: () => ['local', 'staging'],
  checkNames: () => ['redis', 'chat-handshake', 'metrics'],
  status: () => Promise.reject(new Error('not run in this area')),
  history: async () => [],
  lastReport: () => undefined,
  logs: () => Promise.reject(new Error('not run in this area')),
  logsUnavailable: () => undefined,
};

chaosRow('--grep "(a+)+$" over 50,000 lines of 30×"a" + "!"', 'linear time: all lines in < 5 s, 0 matches', async () => {
  const test = matcher('(a+)+$');
  if (!test) throw new Error('no matcher');
  const line = 'a'.repeat(30) + '!';
  const t0 = Date.now();
  let hits = 0;
  for (let i = 0; i < 50_000; i++) if (test(line)) hits++;
  const ms = Date.now() - t0;
  return observe(`${ms} ms, ${hits} matches`, ms < 5000 && hits === 0);
}, 30_000);

chaosRow('--grep with a backreference "(a)\\1"', 'clear error naming the engine, nothing runs', async () => {
  const plan = dispatch('logs web --grep (a)\\1', { doctor, surface: 'slack', prefix: '/ws' });
  const text = plan.kind === 'immediate' ? JSON.stringify(plan.message) : 'ran';
  return observe(`${plan.kind}: ${/linear-time/.test(text) ? 'names the linear-time matcher' : text.slice(0, 80)}`, plan.kind === 'immediate' && /linear-time/.test(text));
});

chaosRow('fuzzed command text (fast-check, 1000 strings incl. markup)', 'answer or clear error, no exception, no live markup', async () => {
  const piece = fc.oneof(
    fc.string(),
    fc.constantFrom('status', 'check', 'logs', 'history', 'help', '--env', '--grep', '--tail', '--since', 'share', '"', "'", '`', '<!channel>', '<@U123>', '<http://evil|x>', '&', '\\'),
  );
  const text = fc.array(piece, { maxLength: 8 }).map((xs) => xs.join(' '));
  const problems: string[] = [];
  fc.assert(
    fc.property(text, (t) => {
      try {
        const plan = dispatch(t, { doctor, surface: 'slack', prefix: '/ws' });
        if (plan.kind === 'immediate') {
          const live = liveMarkup(renderMessage(plan.message), new Set());
          if (live.length) problems.push(`"${t}" → live ${live[0]}`);
        }
      } catch (err) {
        problems.push(`"${t}" threw ${(err as Error).message}`);
      }
      return problems.length === 0;
    }),
    { numRuns: 1000 },
  );
  return observe(problems.length ? problems[0]!.slice(0, 100) : '1000 inputs: answered or refused cleanly', problems.length === 0);
});
