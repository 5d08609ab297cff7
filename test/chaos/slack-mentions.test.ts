/**
 * Chaos area: `@ws-doctor …` mentions. A mention is text a person typed in a public channel, delivered as an
 * event: hostile text must not become markup in the answer, a forged or replayed event must run nothing twice,
 * and another bot's mention must not start a conversation between bots.
 */
import type { StatusReport } from '../../src/diagnosis/types';
import { visibleText } from '../peers/slack-api';
import { postEvent } from '../peers/slack-drivers';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { sleep } from './support';

let bot: DemoSlackBot;
let h: SlackHarness;
let reports: StatusReport[];

beforeAll(async () => {
  bot = await startDemoSlackBot({ transport: 'http' });
  ({ h, reports } = bot);
});

afterAll(() => bot?.stop());

async function settle(): Promise<void> {
  await sleep(200);
  await h.app.idle(20000);
}

chaosRow('mention with <!channel>, a user mention and a disguised link as the command', 'help in the thread, no live markup', async () => {
  const { body, message } = h.standIn.appMention({ text: '<!channel> <@U0VICTIM> <https://evil.example|click> status', user: 'U0HOSTILE' });
  await h.driver.event(body);
  await settle();
  const replies = h.standIn.thread('C0OPS', message.ts);
  const text = replies.map(visibleText).join('\n');
  const live = h.standIn.liveMarkup.length;
  return observe(`${replies.length} reply, live markup tokens: ${live}`, replies.length === 1 && /Unknown command/.test(text) && live === 0);
});

chaosRow('mention with 20 000 characters of text', 'one answer within Slack limits, nothing refused', async () => {
  const { body, message } = h.standIn.appMention({ text: `status ${'x'.repeat(20000)}`, user: 'U0LONG' });
  const before = h.standIn.refusals.length;
  await h.driver.event(body);
  await settle();
  const replies = h.standIn.thread('C0OPS', message.ts).length;
  const refused = h.standIn.refusals.length - before;
  return observe(`${replies} reply, ${refused} refused by the stand-in`, replies === 1 && refused === 0);
});

chaosRow('app_mention event with a forged signature', '401, nothing runs, nothing posted', async () => {
  const { body, message } = h.standIn.appMention({ text: 'status', user: 'U0FORGED' });
  const runs = reports.length;
  const res = await postEvent(h.botUrl ?? '', body, { secret: 'forged-secret' });
  await settle();
  const replies = h.standIn.thread('C0OPS', message.ts).length;
  return observe(`HTTP ${res.status}, ${reports.length - runs} runs, ${replies} replies`, res.status === 401 && reports.length === runs && replies === 0);
});

chaosRow('the same mention delivered twice with different event ids', 'answered once', async () => {
  const first = h.standIn.appMention({ text: 'status', user: 'U0DUP' });
  const again = { ...first.body, event_id: `${String(first.body.event_id)}X` };
  await h.driver.event(first.body);
  await h.driver.event(again);
  await settle();
  const replies = h.standIn.thread('C0OPS', first.message.ts).length;
  return observe(`${replies} reply`, replies === 1);
});

chaosRow('another bot mentions ws-doctor', 'no answer (no bot loop)', async () => {
  const { body, message } = h.standIn.appMention({ text: 'status', user: 'U0BOT' });
  (body.event as Record<string, unknown>).bot_id = 'B0OTHER';
  await h.driver.event(body);
  await settle();
  const replies = h.standIn.thread('C0OPS', message.ts).length;
  return observe(`${replies} replies`, replies === 0);
});
