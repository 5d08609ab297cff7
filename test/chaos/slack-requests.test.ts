/**
 * Chaos area: requests that claim to come from Slack. Forged, stale, future and replayed deliveries must run
 * nothing (401 for the signature failures; a replay within the window is answered once).
 */
import type { StatusReport } from '../../src/diagnosis/types';
import { Doctor } from '../../src/core/doctor';
import { postSlashCommand } from '../peers/slack-drivers';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { sleep, startDemoStack, type DemoStack } from './support';

let stack: DemoStack;
let doctor: Doctor;
let h: SlackHarness;
const reports: StatusReport[] = [];

beforeAll(async () => {
  stack = await startDemoStack();
  doctor = Doctor.create(stack.config, { stateDir: null, onReport: (r) => reports.push(r) });
  h = await startSlackHarness({ transport: 'http', config: stack.config, doctor });
});

afterAll(async () => {
  await h?.stop();
  await doctor?.close();
  await stack?.stop();
});

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
