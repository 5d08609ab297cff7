/**
 * The Slack adapter's behaviour with a scripted core (a small DoctorApi in this file: slow runs, secrets in
 * findings, runs started elsewhere), against the Slack stand-in over Socket Mode. The same adapter against the
 * real Doctor and demo stack is test/e2e/slack-status.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionSeal, sealActions } from '../../src/chat/actions/seal';
import { loadActionKey } from '../../src/state/action-key';
import type { HistoryEntry } from '../../src/state/history';
import type { Finding } from '../../src/checks/types';
import { parseConfig } from '../../src/config/load';
import type { StatusReport } from '../../src/diagnosis/types';
import { Turns } from '../../src/slack/bot';
import { renderMessage } from '../../src/slack/render';
import { visibleText, waitFor } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';

const TOKEN = 'Zq8Xw2Lm4Np6Rt0Vb3Cd5Fg7Hj9Kl1Mn2Bv4Cx6Zs8';

class ScriptedDoctor {
  readonly defaultEnv = 'local';
  delayMs = 0;
  calls = 0;
  overall: 'ok' | 'down' = 'ok';
  private readonly listeners: Array<(r: StatusReport) => void> = [];
  private last: StatusReport | undefined;
  private readonly hist: HistoryEntry[] = [];

  envNames(): string[] {
    return ['local', 'staging'];
  }
  checkNames(): string[] {
    return ['token-issuance', 'redis'];
  }
  logs(): Promise<never> {
    return Promise.reject(new Error('no logs here'));
  }
  logsUnavailable(): string {
    return 'no Docker engine in this test';
  }
  onReport(l: (r: StatusReport) => void): () => void {
    this.listeners.push(l);
    return () => this.listeners.splice(this.listeners.indexOf(l), 1);
  }
  async status(env: string): Promise<StatusReport> {
    this.calls++;
    await new Promise((r) => setTimeout(r, this.delayMs));
    const at = new Date().toISOString();
    const findings: Finding[] = [
      {
        check: 'token-issuance',
        status: this.overall === 'ok' ? 'ok' : 'fail',
        // A check that forgot to redact: the adapter must still never send the token.
        summary: `POST /api/v1/auth/ws-connection-token/ → {"connection_token": "${TOKEN}"}`,
        evidence: { url: `ws://localhost:8000/ws/chat/probe/?connection_token=${TOKEN}`, ms: 12 },
        durationMs: 12,
        ref: 'target-system §2.1',
      },
      { check: 'redis', status: 'ok', summary: 'PONG', evidence: { pingMs: 1 }, durationMs: 1, ref: 'guide §4' },
    ];
    const report: StatusReport = {
      env,
      startedAt: at,
      durationMs: this.delayMs,
      timedOut: [],
      findings,
      verdict: { overall: this.overall, headline: this.overall === 'ok' ? 'Healthy: all 2 checks pass' : 'Down: token endpoint fails', otherCauses: [], explainedBy: {} },
    };
    this.last = report;
    for (const f of findings) this.hist.unshift({ env, at, finding: f });
    for (const l of this.listeners) l(report);
    return report;
  }
  async history(env: string, opts: { limit?: number } = {}): Promise<HistoryEntry[]> {
    return this.hist.filter((h) => h.env === env).slice(0, opts.limit ?? 50);
  }
  lastReport(env: string): StatusReport | undefined {
    return this.last?.env === env ? this.last : undefined;
  }
}

let doctor: ScriptedDoctor;
let h: SlackHarness;

let stateDir: string;

beforeEach(async () => {
  doctor = new ScriptedDoctor();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bot-'));
  h = await startSlackHarness({ transport: 'socket', config: parseConfig({}), doctor, stateDir, queue: { intervalMs: 100, baseBackoffMs: 50, maxBackoffMs: 200 } });
});

afterEach(async () => {
  await h.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const everythingSent = () => JSON.stringify([h.standIn.calls.map((c) => c.args), h.standIn.responseUrlCalls.map((c) => c.args), h.standIn.acks.map((a) => a.payload)]);

it('acks at once, shows "Running…" while a slow run works, then the answer in the same message', async () => {
  doctor.delayMs = 1500;
  const ack = await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status', user: 'U0SLOW' }));
  expect(ack.latencyMs).toBeLessThan(200);
  const m = await waitFor(() => h.standIn.ephemerals('U0SLOW')[0], 'the placeholder', 1000);
  expect(m.text).toMatch(/^Running status on local/);
  await waitFor(() => /Healthy/.test(m.text) && m, 'the answer');
  expect(m.versions).toHaveLength(2);
  expect(m.versions[1]?.text).toMatch(/^✅ local: Healthy/);
});

it('fifty people asking at once: all acked first, one run, one answer each', async () => {
  // The run lasts 3 s so all fifty arrive while it is in flight even on a loaded machine (at 100 ms, a slow
  // delivery of the last few started a second run); the acks must still beat Slack's 3 s limit.
  doctor.delayMs = 3000;
  const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status', user: `U0M${i}` }))));
  expect(Math.max(...acks.map((a) => a.latencyMs))).toBeLessThan(3000);
  await h.app.idle();
  expect(doctor.calls).toBe(1);
  for (let i = 0; i < 50; i++) expect(h.standIn.ephemerals(`U0M${i}`)[0]?.text).toMatch(/Healthy/);
});

it('never sends a secret, even when a finding carries one', async () => {
  await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status', user: 'U0SEC' }));
  const m = await waitFor(() => h.standIn.ephemerals('U0SEC')[0], 'the answer');
  await waitFor(() => /Healthy/.test(m.text), 'the answer');
  await h.standIn.push('interactive', h.standIn.click(m, { kind: 'details' }, 'U0SEC'));
  await waitFor(() => h.standIn.modals.size === 1, 'the evidence modal');
  await h.standIn.push('events_api', h.standIn.appHomeOpened('U0SEC'));
  await h.app.idle();
  expect(visibleText([...h.standIn.modals.values()][0]?.view ?? {})).toMatch(/REDACTED/);
  expect(everythingSent()).not.toContain(TOKEN);
});

it('Details after a restart (result no longer held) opens a modal at once and fills it when the run is done', async () => {
  doctor.delayMs = 300;
  // A message from before the restart: sealed with the bot's (persisted) key, its result ref unknown to this process.
  const r = renderMessage(
    sealActions(
      { text: 'old', blocks: [{ type: 'text', text: 'old answer' }, { type: 'actions', actions: [{ kind: 'details', label: 'Details', value: { env: 'staging' } }] }] },
      new ActionSeal(loadActionKey(stateDir).key),
      'gone',
    ),
  );
  const cmd = h.standIn.slashCommand({ text: 'help', user: 'U0OLD' });
  await fetch(cmd.response_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: r.text, blocks: r.blocks }) });
  const old = h.standIn.ephemerals('U0OLD')[0]!;
  await h.standIn.push('interactive', h.standIn.click(old, { kind: 'details' }, 'U0OLD'));
  const modal = await waitFor(() => [...h.standIn.modals.values()][0], 'the modal');
  expect(visibleText(modal.versions[0] ?? {})).toMatch(/Collecting evidence/);
  await waitFor(() => modal.versions.length === 2, 'the filled modal');
  expect(visibleText(modal.view)).toMatch(/Evidence — staging/);
});

it('a button this version does not know is refused with a private answer, and nothing runs', async () => {
  const r = renderMessage({ text: 'x', blocks: [{ type: 'actions', actions: [{ kind: 'remediate:restart-web', label: 'Restart web', value: 'local|web', style: 'danger' }] }] });
  const cmd = h.standIn.slashCommand({ text: 'help', user: 'U0FIX' });
  await fetch(cmd.response_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: r.text, blocks: r.blocks }) });
  const msg = h.standIn.ephemerals('U0FIX')[0]!;
  await h.standIn.push('interactive', h.standIn.click(msg, { kind: 'remediate:restart-web' }, 'U0FIX'));
  await waitFor(() => h.standIn.ephemerals('U0FIX').some((m) => /no action `?remediate:restart-web`? in this version/.test(visibleText(m))), 'the answer');
  await h.app.idle();
  expect(doctor.calls).toBe(0);
});

it('App Home follows runs started elsewhere (scheduler, console) for people who opened it', async () => {
  await h.standIn.push('events_api', h.standIn.appHomeOpened('U0VIEW'));
  await waitFor(() => h.standIn.homeViews.get('U0VIEW'), 'the Home tab');
  expect(visibleText(h.standIn.homeViews.get('U0VIEW')!.view)).toMatch(/no run yet/);
  doctor.overall = 'down';
  await doctor.status('local');
  await waitFor(() => /local: Down/.test(visibleText(h.standIn.homeViews.get('U0VIEW')!.view)), 'the board to follow');
});

it('a re-run of a shared message honours 429 on chat.update and still lands in place', async () => {
  await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'status share', user: 'U0CH' }));
  const shared = await waitFor(() => h.standIn.channelMessages('C0OPS')[0], 'the shared answer');
  await waitFor(() => /Healthy/.test(shared.text), 'the answer');
  await h.app.idle();
  doctor.overall = 'down';
  h.standIn.rateLimit('chat.update', 1, 1);
  const t0 = Date.now();
  await h.standIn.push('interactive', h.standIn.click(shared, { kind: 'rerun' }, 'U0CH'));
  await waitFor(() => /Down/.test(shared.text), 'the re-run answer', 10000);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  expect(h.standIn.callsTo('chat.update').some((c) => c.status === 429)).toBe(true);
  expect(h.standIn.channelMessages('C0OPS')).toHaveLength(1);
});

it('`/ws help share` answers in the channel within the ack', async () => {
  await h.standIn.push('slash_commands', h.standIn.slashCommand({ text: 'help share', user: 'U0HELP' }));
  const m = await waitFor(() => h.standIn.channelMessages('C0OPS').find((x) => /Requested by <@U0HELP>/.test(visibleText(x))), 'the shared help');
  expect(m.via).toBe('ack');
});

describe('Turns', () => {
  it('holds follow-up work while requests keep arriving, then hands out turns in order', async () => {
    const t = new Turns(30, 1000);
    const order: number[] = [];
    t.inbound();
    const started = Date.now();
    const all = [0, 1, 2].map((i) => t.next().then(() => order.push(i)));
    await new Promise((r) => setTimeout(r, 15));
    t.inbound(); // another request arrives: keep holding
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('never holds longer than maxHoldMs', async () => {
    const t = new Turns(50, 100);
    const started = Date.now();
    const timer = setInterval(() => t.inbound(), 10);
    await t.next();
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(400);
  });
});
