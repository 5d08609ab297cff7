/**
 * Chaos area: requests that claim to come from Slack. Forged, stale, future and replayed deliveries must run
 * nothing (401 for the signature failures; a replay within the window is answered once).
 */
import type { StatusReport } from '../../src/diagnosis/types';
import { postSlashCommand } from '../peers/slack-drivers';
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

const now = () => Math.floor(Date.now() / 1000);

/** Sends one slash command with the given signing options; reports status and whether anything ran. */
async function sendAndWatch(opts: { secret?: string; timestamp?: number }): Promise<{ status: number; ran: number; calls: number }> {
  const before = { reports: reports.length, calls: h.standIn.calls.length + h.standIn.responseUrlCalls.length };
  const cmd = h.standIn.slashCommand({ text: 'status' });
  const res = await postSlashCommand(h.botUrl ?? '', cmd, { secret: opts.secret ?? h.signingSecret, ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}) });
  await sleep(300);
  await h.app.idle();
  return { status: res.status, ran: reports.length - before.reports, calls: h.standIn.calls.length + h.standIn.responseUrlCalls.length - before.calls };
}

const refusedCleanly = (r: { status: number; ran: number; calls: number }) =>
  observe(`HTTP ${r.status}, ${r.ran} runs, ${r.calls} Slack calls`, r.status === 401 && r.ran === 0 && r.calls === 0);

chaosRow('forged signature on /ws status', '401, nothing runs, nothing posted', async () => refusedCleanly(await sendAndWatch({ secret: 'forged-secret' })));

chaosRow('stale timestamp (6 min old), correctly signed', '401, nothing runs', async () => refusedCleanly(await sendAndWatch({ timestamp: now() - 360 })));

chaosRow('future timestamp (1 h ahead), correctly signed', '401, nothing runs', async () => refusedCleanly(await sendAndWatch({ timestamp: now() + 3600 })));

chaosRow('replayed signed slash command (same trigger_id twice)', 'runs once', async () => {
  const before = reports.length;
  const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0REPLAY' });
  const a = await postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret });
  const b = await postSlashCommand(h.botUrl ?? '', cmd, { secret: h.signingSecret });
  await sleep(300);
  await h.app.idle(20000);
  const ran = reports.length - before;
  return observe(`HTTP ${a.status}/${b.status}, ${ran} run(s)`, a.status === 200 && b.status === 200 && ran === 1);
});
