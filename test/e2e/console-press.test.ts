/**
 * The console presses the same buttons Slack does, through the same registry and seal checks: the real Doctor
 * on a real redis-server and the demo backend, the real console reading piped lines.
 */
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../src/config/load';
import { runConsole } from '../../src/console/console';
import { Doctor } from '../../src/core/doctor';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let backend: DemoBackend;
let doctor: Doctor;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  const cfg = demoConfig(loadConfig({ env: {} }), backend, redis.url);
  const env = cfg.environments.demo!;
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000 };
  doctor = Doctor.create({ ...cfg, environments: { demo: { ...env, checks: { ...env.checks, thresholds } } } }, { stateDir: null });
});

afterAll(async () => {
  await doctor?.close();
  await backend?.stop();
  await redis?.stop();
});

/** Pipes the lines in (the console handles them one at a time, in order) and returns all output. */
async function session(lines: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  // `break` (a console extra, like the demo's fault switches) breaks the stack between two presses, in order.
  const extras = [{ name: 'break', usage: 'break', summary: 'stop the demo Redis cache', run: () => (backend.faults.set('redis-down', true), 'broken') }];
  const done = runConsole({ doctor, input, output, color: false, extras });
  input.end(lines.map((l) => `${l}\n`).join(''));
  await done;
  return text;
}

it('status, actions, press Details / Re-run: each runs its action on the same answer', async () => {
  // The stack breaks after Details: the re-run (press 1) must show the new state, Details the old run.
  const out = await session(['status', 'actions', 'press 2', 'break', 'press 1', 'press 9', 'quit']);
  backend.faults.clear();
  const verdicts = out.match(/^(✅|⚠️|🔴|❔) (Healthy|Degraded|Down|Unknown).*$/gm) ?? [];
  expect(verdicts[0]).toMatch(/Healthy/);
  // Post to channel is not offered: a terminal has no channel.
  expect(out).toContain('[1 Re-run] [2 Details]  — press <n>');
  expect(out).not.toContain('Post to channel');
  expect(out).toMatch(/1\. Re-run — run the same checks again/);
  // Details shows the evidence of the run shown (no new run: only one "Healthy" verdict before the re-run).
  expect(out).toContain('Evidence — demo');
  expect(verdicts[1]).toMatch(/Down|Degraded/);
  expect(out).toContain('Re-run by you');
  // The re-run answer names the web cache as the root cause and offers its fix (a runbook) as a third action.
  expect(out).toContain('[3 Runbook: fix-cache-url]');
  expect(out).toContain('usage: press <n> with n from 1 to 3');
  // Healthy (typed), Down (re-run); Details printed the evidence of the run shown, no new run.
  expect(verdicts).toHaveLength(2);
});

it('press with no answer yet says so', async () => {
  const out = await session(['press 1', 'actions', 'quit']);
  expect(out).toContain('The last answer has no buttons to press.');
  expect(out).toContain('The last answer has no buttons.');
});
