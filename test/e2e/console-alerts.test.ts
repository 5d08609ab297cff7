/**
 * Alert cards in the console, end to end: the real console reading lines as a person types them, the alert
 * service on its own schedule (1 s rule interval) against a real Prometheus scraping the demo backend, the real
 * Doctor for Run diagnostics. A card is printed when it fires and again as it changes; its buttons are pressed
 * with `press <n>` through the same actions (and seal) Slack uses: Acknowledge, Silence…, Silence 1 h, Run
 * diagnostics; the card turns resolved when the 404s stop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { loadRuleFiles } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import { allChecks } from '../../src/checks/registry';
import { loadConfig } from '../../src/config/load';
import { runConsole } from '../../src/console/console';
import { Doctor } from '../../src/core/doctor';
import { demoConfig, demoScrapeTargets, DEMO_SCRAPE_JOB } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { MemoryStateStore } from '../../src/state/memory-store';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { prometheusAvailable, PROMETHEUS_INSTALL_HINT, startPrometheus, waitForScrape, type PrometheusProcess } from '../peers/prometheus';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { REPO_ROOT } from '../peers/slack-api';

jest.setTimeout(150_000);

let redis: RedisProcess;
let backend: DemoBackend;
let prom: PrometheusProcess;
let doctor: Doctor;
let dir: string;

const RULES = `groups:
  - name: console
    interval: 1s
    rules:
      - alert: Any404
        expr: sum(increase(django_http_responses_total_by_status_total{status="404"}[4s])) > 0
        annotations:
          summary: Some 404 answers
        remediations: [restart-backend]
`;

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error(`the \`prometheus\` binary is not on PATH; this test needs a real Prometheus — ${PROMETHEUS_INSTALL_HINT}`);
  dir = mkdtempSync(path.join(tmpdir(), 'wsd-console-alerts-'));
  writeFileSync(path.join(dir, 'rules.yml'), RULES);
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: true, loginRatePerMinute: 1000 });
  prom = await startPrometheus({ scrapeTargets: demoScrapeTargets(`127.0.0.1:${backend.port}`) });
  await waitForScrape(prom.url, DEMO_SCRAPE_JOB, 'up', 30_000);
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url);
  const env = cfg.environments.demo!;
  Object.assign(env.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  doctor = Doctor.create(cfg, { stateDir: null });
  // The counter's series exists before the rule is asked (increase() needs two samples).
  await traffic(1);
  await new Promise((r) => setTimeout(r, 2500));
}, 90_000);

afterAll(async () => {
  await doctor?.close();
  await prom?.stop();
  await backend?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function traffic(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => fetch(`${backend.url}/no-such-page-${i}/`).then((r) => r.body?.cancel())));
}

test('cards are printed as they change and their buttons are pressed with press <n>', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  let svc: AlertService | undefined;
  const store = new MemoryStateStore();
  const done = runConsole({
    doctor,
    input,
    output,
    color: false,
    user: { id: 'local:tester' },
    alerts: (sink) => {
      const loaded = loadRuleFiles([path.join(dir, 'rules.yml')], { defaultIntervalMs: 1000, checkNames: allChecks.map((c) => c.name) });
      const client = new PrometheusQueryClient({ url: prom.url, timeoutMs: 5000 });
      svc = new AlertService({ store, sink, rules: loaded.rules, envs: ['demo'], prometheusFor: () => client, checks: doctor, defaultChannel: '' });
      doctor.alerts = svc;
      svc.start();
    },
  });
  /** Wait for `re` to appear in what was printed after `from` (an offset into the output); returns the new offset. */
  const waitOut = async (re: RegExp, from: number, what: string, timeoutMs = 40_000): Promise<number> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(text.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; output after ${from}:\n${text.slice(from).slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const type = (line: string): number => {
    const at = text.length;
    input.write(`${line}\n`);
    return at;
  };

  const t = setInterval(() => void traffic(3).catch(() => undefined), 1000);
  try {
    // Fired: printed by itself (nobody typed anything), with its buttons numbered.
    let at = await waitOut(/Firing: Some 404 answers/, 0, 'the firing card');
    at = await waitOut(/\[1 Acknowledge\] \[2 Silence 1 h\] \[3 Silence 4 h\] \[4 Silence…\] \[5 Run diagnostics\] \[6 Fix: restart-backend\]  — press <n>/, at, 'the card\'s buttons');

    at = await waitOut(/1\. Acknowledge — acknowledge the incident/, type('actions'), 'the actions list');
    // Acknowledge: the card is printed again naming who, and the buttons renumber without Acknowledge.
    at = type('press 1');
    at = await waitOut(/Acknowledged by local:tester/, at, 'the acknowledged card');
    at = await waitOut(/\[1 Silence 1 h\] \[2 Silence 4 h\] \[3 Silence…\] \[4 Run diagnostics\]/, at, 'the renumbered buttons');
    await waitOut(/↳ Some 404 answers: 👀 Acknowledged by local:tester\./, 0, 'the thread note line');

    // Silence…: the console has no modal; it answers with the command that does the same.
    at = await waitOut(/alerts silence Any404 <duration> \[comment\] --env demo/, type('press 3'), 'the typed-command hint');
    // Silence 1 h: persisted, shown on the card, noted.
    at = type('press 1');
    at = await waitOut(/Silenced by local:tester until/, at, 'the silenced card');
    at = await waitOut(/\[1 Run diagnostics\]/, at, 'only Run diagnostics left');
    const silences = await svc!.alerts.silences();
    expect(silences).toEqual([expect.objectContaining({ createdBy: 'local:tester', matchers: { alertname: 'Any404' } })]);
    expect(silences[0]!.endsAt - silences[0]!.startsAt).toBe(3_600_000);

    // Run diagnostics: the full status of the card's environment.
    at = await waitOut(/(✅|⚠️|🔴|❔) (Healthy|Degraded|Down|Unknown)/, type('press 1'), 'the diagnostics verdict', 60_000);
  } finally {
    clearInterval(t);
  }
  // The 404s stop: the same card is printed green.
  await waitOut(/Resolved: Some 404 answers/, 0, 'the resolved card', 60_000);
  await svc!.stop();
  input.end('quit\n');
  await done;
  // One card (one incident): it fired once.
  expect(text.match(/Firing: Some 404 answers/g)?.length).toBeGreaterThanOrEqual(1);
  expect(text).not.toMatch(/That button was refused|Not allowed|Refused:/);
});

test('`ws-doctor start` without Slack credentials and with alerts.console: the console prints the card and presses its buttons', async () => {
  const demo = demoConfig(loadConfig({ env: {} }), backend, redis.url, prom.url).environments.demo!;
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  const file = path.join(dir, 'ws-doctor.yml');
  writeFileSync(file, YAML.stringify({ stateDir: path.join(dir, 'state'), defaultEnv: 'demo', environments: { demo }, schedule: { enabled: false }, alerts: { console: true, rules: [path.join(dir, 'rules.yml')], interval: '1s', graph: { enabled: false } } }));
  const loader = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(REPO_ROOT, 'src/cli.ts'), 'start'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', WS_DOCTOR_CONFIG: file, WS_DOCTOR_USER: 'tester', LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitOut = async (re: RegExp, what: string, timeoutMs = 60_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    while (!re.test(out)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; stdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const t = setInterval(() => void traffic(3).catch(() => undefined), 1000);
  try {
    await waitOut(/Type a command/, 'the console banner');
    await waitOut(/Firing: Some 404 answers/, 'the firing card printed by the process');
    await waitOut(/\[1 Acknowledge\]/, 'its buttons');
    child.stdin.write('press 1\n');
    await waitOut(/Acknowledged by local:tester/, 'the acknowledged card');
  } finally {
    clearInterval(t);
    child.stdin.end('quit\n');
  }
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
  if (code === 'hung') child.kill('SIGKILL');
  expect(code).toBe(0);
});
