/**
 * "Silence…" on an incident card opens a modal (views.open on the click's trigger_id) asking how long and why;
 * the view_submission is validated and answered with field errors (`response_action: errors`) or closes the
 * modal and silences the incident (card redrawn, note in its thread, a private confirmation). Over HTTP and
 * Socket Mode, against the strict Slack stand-in (trigger_id single use, 3 s expiry; errors only for input
 * block_ids of the view) and real peers: the incident comes from a real Prometheus scraping the demo backend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import { allChecks } from '../../src/checks/registry';
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { MemoryStateStore } from '../../src/state/memory-store';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { visibleText, waitFor, type StoredMessage, type StoredModal } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness, type Transport } from '../peers/slack-harness';

jest.setTimeout(120_000);

const CHANNEL = 'C0OPS';
let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let doctor: Doctor;
let dir: string;

const RULES = `groups:
  - name: modal
    interval: 1s
    rules:
      - alert: WebScraped
        expr: up{job="django"} == 1
        annotations:
          summary: The web service is being scraped
`;

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error(`the \`prometheus\` binary is not on PATH; these tests need a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-alerts-modal-'));
  writeFileSync(path.join(dir, 'rules.yml'), RULES);
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await backend?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each<Transport>(['http', 'socket'])('over %s', (transport) => {
  let h: SlackHarness;
  let svc: AlertService;
  let card: StoredMessage;

  beforeAll(async () => {
    const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url);
    doctor = Doctor.create(cfg, { stateDir: null });
    h = await startSlackHarness({ transport, config: cfg, doctor });
    const loaded = loadRuleFiles([path.join(dir, 'rules.yml')], { defaultIntervalMs: 1000, checkNames: allChecks.map((c) => c.name) });
    const client = new PrometheusQueryClient({ url: prom.url, timeoutMs: 5000 });
    svc = new AlertService({ store: new MemoryStateStore(), sink: h.app.incidentSink(), rules: loaded.rules, envs: ['demo'], prometheusFor: () => client, defaultChannel: CHANNEL });
    doctor.alerts = svc;
    for (let i = 0; i < 30 && !h.standIn.channelMessages(CHANNEL).length; i++) {
      await svc.tick('demo');
      await h.app.idle(5000);
      if (!h.standIn.channelMessages(CHANNEL).length) await new Promise((r) => setTimeout(r, 500));
    }
    card = await waitFor(() => h.standIn.channelMessages(CHANNEL).find((m) => /^Firing: The web service is being scraped/.test(m.text)), 'the incident card');
  }, 60_000);

  afterAll(async () => {
    await svc?.stop();
    await h?.stop();
    await doctor?.close();
  });

  afterEach(() => {
    expect(h.standIn.refusals).toEqual([]);
    expect(h.standIn.liveMarkup).toEqual([]);
  });

  /** Press "Silence…" as `user` and wait for the modal opened for them. */
  async function openForm(user: string): Promise<[string, StoredModal]> {
    const before = new Set(h.standIn.modals.keys());
    const d = await h.driver.action(h.standIn.click(h.standIn.channelMessages(CHANNEL).find((m) => m.ts === card.ts)!, { kind: 'alert-silence', label: 'Silence…' }, user));
    expect(d.status).toBe(200);
    await h.app.idle(5000);
    const opened = [...h.standIn.modals.entries()].find(([id, m]) => !before.has(id) && m.user === user);
    if (!opened) throw new Error(`no modal opened for ${user}; calls: ${JSON.stringify(h.standIn.callsTo('views.open').map((c) => c.error ?? 'ok'))}`);
    return opened;
  }

  async function submit(viewId: string, user: string, values: Record<string, string>, opts: { raw?: boolean } = {}) {
    const d = await h.driver.action(h.standIn.submitView(viewId, user, values, opts));
    expect(d.status).toBe(200);
    h.standIn.acceptViewAck(viewId, d.body);
    await h.app.idle(5000);
    await svc.idle();
    await h.app.idle(5000);
    return d;
  }

  test('the modal asks how long and why; bad lengths are answered per field and nothing is silenced', async () => {
    const [id, modal] = await openForm('U0ALICE');
    expect(modal.view.callback_id).toBe('wsd-form:alert-silence');
    const inputs = (modal.view.blocks as Array<{ type: string; block_id?: string; optional?: boolean }>).filter((b) => b.type === 'input');
    expect(inputs.map((b) => [b.block_id, b.optional])).toEqual([
      ['duration', false],
      ['reason', true],
    ]);
    expect(JSON.stringify(modal.view.blocks)).toMatch(/Silence every alert of: The web service is being scraped/);
    // No ephemeral hint instead of (or besides) the modal.
    expect(h.standIn.ephemerals('U0ALICE')).toEqual([]);

    for (const [typed, why] of [
      ['soon', /Not a length/],
      ['20s', /At least 1 minute/],
      ['40d', /At most 30 days/],
    ] as const) {
      const d = await submit(id, 'U0ALICE', { duration: typed });
      expect(d.body).toEqual({ response_action: 'errors', errors: { duration: expect.stringMatching(why) } });
      expect(modal.closed).toBeFalsy();
      expect(modal.errors?.duration).toMatch(why);
    }
    // A reason longer than the input allows (only a forged submission gets past the client's max_length).
    const long = await submit(id, 'U0ALICE', { duration: '1h', reason: 'x'.repeat(301) }, { raw: true });
    expect(long.body).toEqual({ response_action: 'errors', errors: { reason: expect.stringMatching(/At most 300 characters/) } });
    expect(await svc.alerts.silences()).toEqual([]);
  });

  test('views.open enforces the trigger: a click delivered after its trigger_id expired gets the typed command privately instead', async () => {
    const payload = h.standIn.click(h.standIn.channelMessages(CHANNEL).find((m) => m.ts === card.ts)!, { kind: 'alert-silence', label: 'Silence…' }, 'U0CAROL');
    await new Promise((r) => setTimeout(r, 3500));
    const modalsBefore = h.standIn.modals.size;
    await h.driver.action(payload);
    await h.app.idle(10_000);
    const hint = await waitFor(() => h.standIn.ephemerals('U0CAROL').find((m) => /alerts silence WebScraped/.test(visibleText(m))), 'the typed-command fallback');
    expect(hint).toBeDefined();
    expect(h.standIn.modals.size).toBe(modalsBefore);
    // The stand-in refused the stale trigger as Slack would; that refusal is this test's point, not a bot error.
    const stale = h.standIn.refusals.filter((r) => r.where === 'views.open');
    expect(stale.map((r) => r.error)).toEqual(['expired_trigger_id']);
    h.standIn.refusals.splice(0, h.standIn.refusals.length, ...h.standIn.refusals.filter((r) => r.where !== 'views.open'));
  });

  test('a valid submission closes the modal, silences the incident for that long, redraws the card and notes the reason in its thread', async () => {
    const [id, modal] = await openForm('U0BOB');
    const d = await submit(id, 'U0BOB', { duration: '45m', reason: 'deploying the workers <!channel>' });
    // Closed: an empty ack (HTTP: no body; Socket Mode: no or an empty payload), no response_action.
    expect(d.body === undefined || JSON.stringify(d.body) === '{}').toBe(true);
    expect(modal.closed).toBe(true);
    const silences = await svc.alerts.silences();
    expect(silences).toEqual([expect.objectContaining({ createdBy: 'U0BOB', matchers: { alertname: 'WebScraped' }, comment: 'deploying the workers <!channel>' })]);
    expect(silences[0]!.endsAt - silences[0]!.startsAt).toBe(45 * 60_000);
    const redrawn = await waitFor(() => h.standIn.channelMessages(CHANNEL).find((m) => m.ts === card.ts && /Silenced by <@U0BOB>/.test(JSON.stringify(m.blocks))), 'the card redrawn with the silence');
    expect(JSON.stringify(redrawn.blocks)).not.toMatch(/Silence…/);
    const note = await waitFor(() => h.standIn.thread(CHANNEL, card.ts).find((m) => /for 45m/.test(visibleText(m))), 'the silence note in the thread');
    // The reason is shown, never a ping (liveMarkup stays empty, checked after each test).
    expect(visibleText(note)).toMatch(/deploying the workers &lt;!channel&gt;/);
    const confirm = await waitFor(() => h.standIn.ephemerals('U0BOB').find((m) => /Silenced/.test(m.text)), 'the private confirmation');
    expect(confirm.channel).toBe(CHANNEL);
    for (const s of silences) await svc.alerts.deleteSilence(s.id);
  });
});
