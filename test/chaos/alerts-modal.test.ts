/**
 * Chaos area: the custom-silence modal (Silence… on an incident card). Hostile text typed into it, forged
 * submissions (tampered private_metadata, a made-up form, a megabyte in a field past the client's max_length)
 * must silence nothing they should not, be answered with field errors within Slack's 3 s, and never put live
 * markup or a secret into Slack. Real peers: a Prometheus scraping the demo backend raises the incident; the real
 * Slack adapter (HTTP) sits in front of the strict stand-in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { MemoryStateStore } from '../../src/state/memory-store';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import type { StoredMessage } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { sleep, startDemoStack, type DemoStack } from './support';

const CHANNEL = 'C0OPS';
let stack: DemoStack;
let prom: PrometheusProcess;
let doctor: Doctor;
let h: SlackHarness;
let svc: AlertService;
let card: StoredMessage;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-chaos-modal-'));
  writeFileSync(path.join(dir, 'rules.yml'), 'groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: WebScraped\n        expr: up{job="django"} == 1\n        annotations: { summary: The web service is being scraped }\n');
  stack = await startDemoStack();
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${stack.backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  const cfg = demoConfig(loadConfig({ env: {} }), stack.backend, stack.redis.url, prom.url);
  doctor = Doctor.create(cfg, { stateDir: null });
  h = await startSlackHarness({ transport: 'http', config: cfg, doctor });
  const client = new PrometheusQueryClient({ url: prom.url, timeoutMs: 5000 });
  svc = new AlertService({ store: new MemoryStateStore(), sink: h.app.incidentSink(), rules: loadRuleFiles([path.join(dir, 'rules.yml')], { defaultIntervalMs: 1000 }).rules, envs: ['demo'], prometheusFor: () => client, defaultChannel: CHANNEL });
  doctor.alerts = svc;
  for (let i = 0; i < 30 && !h.standIn.channelMessages(CHANNEL).length; i++) {
    await svc.tick('demo');
    await h.app.idle(5000);
    if (!h.standIn.channelMessages(CHANNEL).length) await sleep(500);
  }
  card = h.standIn.channelMessages(CHANNEL)[0]!;
  if (!card) throw new Error('no incident card');
}, 90_000);

afterAll(async () => {
  await svc?.stop();
  await h?.stop();
  await doctor?.close();
  await prom?.stop();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Open the Silence… modal as `user`; returns its view id. */
async function openModal(user: string): Promise<string> {
  const before = new Set(h.standIn.modals.keys());
  await h.driver.action(h.standIn.click(h.standIn.channelMessages(CHANNEL).find((m) => m.ts === card.ts)!, { kind: 'alert-silence', label: 'Silence…' }, user));
  await h.app.idle(5000);
  const id = [...h.standIn.modals.keys()].find((k) => !before.has(k));
  if (!id) throw new Error(`no modal opened: ${JSON.stringify(h.standIn.refusals)}`);
  return id;
}

async function submit(id: string, user: string, values: Record<string, string>, opts: { raw?: boolean; privateMetadata?: string } = {}) {
  const t0 = Date.now();
  const d = await h.driver.action(h.standIn.submitView(id, user, values, opts));
  const ackMs = Date.now() - t0;
  h.standIn.acceptViewAck(id, d.body);
  await h.app.idle(5000);
  await svc.idle();
  await h.app.idle(5000);
  return { ...d, ackMs, modal: h.standIn.modals.get(id)! };
}

const silences = async () => (await svc.alerts.silences()).length;

chaosRow('Silence… modal: reason with control characters (ESC, NUL)', 'field error on reason, nothing silenced', async () => {
  const id = await openModal('U0CTRL');
  const r = await submit(id, 'U0CTRL', { duration: '10m', reason: 'ok\u001b[31mred\u0000' });
  const errs = (r.body as { errors?: Record<string, string> } | undefined)?.errors ?? {};
  return observe(`errors ${JSON.stringify(errs)}, ${await silences()} silence(s)`, Boolean(errs.reason) && !errs.duration && (await silences()) === 0 && r.modal.closed !== true);
});

chaosRow('forged view_submission: 1 MB in the duration field (past the client\'s max_length)', 'field error within 3 s, nothing silenced', async () => {
  const id = await openModal('U0BIG');
  const r = await submit(id, 'U0BIG', { duration: '9'.repeat(1_000_000) }, { raw: true });
  const errs = (r.body as { errors?: Record<string, string> } | undefined)?.errors ?? {};
  return observe(`HTTP ${r.status} in ${r.ackMs} ms, errors on ${Object.keys(errs).join(', ') || 'nothing'}, ${await silences()} silence(s)`, r.status === 200 && Boolean(errs.duration) && r.ackMs < 3000 && (await silences()) === 0);
});

chaosRow('forged view_submission: private_metadata tampered (another incident key) or unsigned', 'refused with a field error, nothing silenced', async () => {
  const id = await openModal('U0FORGE');
  const sealed = String(h.standIn.modals.get(id)!.view.private_metadata);
  const [v, payload, mac] = sealed.split('~');
  const forgedPayload = Buffer.from(Buffer.from(payload!, 'base64url').toString('utf8').replace(/"incident":"[^"]+"/, '"incident":"someone-elses"')).toString('base64url');
  const a = await submit(id, 'U0FORGE', { duration: '1h' }, { privateMetadata: `${v}~${forgedPayload}~${mac}` });
  const b = await submit(id, 'U0FORGE', { duration: '1h' }, { privateMetadata: JSON.stringify({ incident: 'x', env: 'demo' }) });
  const refusedBoth = [a, b].every((r) => /not made by this bot/.test(JSON.stringify(r.body)));
  return observe(`${refusedBoth ? 'both answered "not made by this bot"' : JSON.stringify([a.body, b.body])}, ${await silences()} silence(s)`, refusedBoth && (await silences()) === 0);
});

// Last: it silences the incident (the card loses its Silence… button).
chaosRow('Silence… modal: reason with <!channel>, a disguised link, a mention and a Slack token', 'silenced; the reason shown as text, token redacted, no live markup anywhere', async () => {
  const token = 'xoxb-1234567890-abcdefghijklmnopqrst';
  const id = await openModal('U0HOSTILE');
  const r = await submit(id, 'U0HOSTILE', { duration: '10m', reason: `<!channel> <https://evil.test|click> <@U0BOSS> ${token}` });
  const texts = JSON.stringify(h.standIn.messages.map((m) => [m.text, m.blocks]));
  const s = await svc.alerts.silences();
  const ok = r.modal.closed === true && s.length === 1 && h.standIn.liveMarkup.length === 0 && !texts.includes(token) && h.standIn.refusals.length === 0;
  return observe(`modal ${r.modal.closed ? 'closed' : 'open'}, ${s.length} silence, live markup ${h.standIn.liveMarkup.length}, token ${texts.includes(token) ? 'LEAKED' : 'redacted'}`, ok);
});
