/**
 * ws-doctor's own metrics (served at `/metrics` by telemetry/server.ts). One registry per process, defined here
 * once so every part of the bot just increments: `metrics.remediations.inc({ action, outcome })`.
 *
 * Label values that come from outside (Slack error codes, method names) go through `label()`: a bounded,
 * lower-case token or `other`, so a hostile or unexpected value can neither explode the series count nor smuggle
 * text into the exposition format.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** A safe label value: `[a-z0-9_.:-]`, at most 64 characters; anything else becomes `other`. */
export function label(value: string | undefined): string {
  if (!value) return 'none';
  const v = value.toLowerCase();
  return /^[a-z0-9_.:-]{1,64}$/.test(v) ? v : 'other';
}

export const metrics = {
  checkRuns: new Counter({
    name: 'ws_doctor_check_runs_total',
    help: 'Checks run (by status, check and schedule), by environment, check and result status.',
    labelNames: ['env', 'check', 'status'] as const,
    registers: [registry],
  }),
  checkDuration: new Histogram({
    name: 'ws_doctor_check_duration_seconds',
    help: 'How long one check took, by environment and check.',
    labelNames: ['env', 'check'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  statusRuns: new Counter({
    name: 'ws_doctor_status_runs_total',
    help: 'Full status runs, by environment and overall verdict.',
    labelNames: ['env', 'overall'] as const,
    registers: [registry],
  }),
  cliSocketAsks: new Counter({
    name: 'ws_doctor_cli_socket_asks_total',
    help: '`ws-doctor status` asks over the local socket: answered (a fresh run), declined or cut (the CLI ran alone).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  alertsFiring: new Gauge({
    name: 'ws_doctor_alerts_firing',
    help: 'Alerts currently firing, by rule and severity.',
    labelNames: ['rule', 'severity'] as const,
    registers: [registry],
  }),
  notifications: new Counter({
    name: 'ws_doctor_notifications_total',
    help: 'Notifications the bot tried to deliver (alerts, scheduled status changes, digests), by kind and outcome (sent|failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  }),
  remediations: new Counter({
    name: 'ws_doctor_remediations_total',
    help: 'Remediations, by action and outcome (succeeded|failed|refused|interrupted|…).',
    labelNames: ['action', 'outcome'] as const,
    registers: [registry],
  }),
  slackApiErrors: new Counter({
    name: 'ws_doctor_slack_api_errors_total',
    help: 'Slack Web API calls that failed for good (after retries), by method and Slack error code.',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  }),
  slackRateLimited: new Counter({
    name: 'ws_doctor_slack_rate_limited_total',
    help: 'Slack Web API answers of HTTP 429 (the call is retried after Retry-After), by method.',
    labelNames: ['method'] as const,
    registers: [registry],
  }),
  slackCallsSent: new Counter({
    name: 'ws_doctor_slack_calls_total',
    help: 'Slack Web API calls that succeeded, by method.',
    labelNames: ['method'] as const,
    registers: [registry],
  }),
  slackRefused: new Counter({
    name: 'ws_doctor_slack_requests_refused_total',
    help: 'Inbound HTTP requests refused before Bolt (bad timestamp, wrong path, too large, bad signature).',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  slackDuplicates: new Counter({
    name: 'ws_doctor_slack_duplicate_deliveries_total',
    help: 'Slack deliveries (retries, double clicks) dropped because this or another replica already took them.',
    registers: [registry],
  }),
  stateStoreErrors: new Counter({
    name: 'ws_doctor_state_store_errors_total',
    help: 'State store operations that failed, by operation.',
    labelNames: ['op'] as const,
    registers: [registry],
  }),
  schedulerRuns: new Counter({
    name: 'ws_doctor_scheduler_runs_total',
    help: 'Scheduled job fires, by job and outcome (ran|failed|skipped_overlap|not_leader).',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  }),
  schedulerLastRun: new Gauge({
    name: 'ws_doctor_scheduler_last_run_timestamp_seconds',
    help: 'When this replica last ran the job (Unix seconds).',
    labelNames: ['job'] as const,
    registers: [registry],
  }),
  fencedWritesRefused: new Counter({
    name: 'ws_doctor_fenced_writes_refused_total',
    help: 'Guarded writes this replica gave up because a newer scheduler lease had written already (it lost the lease without knowing: paused, partitioned).',
    registers: [registry],
  }),
  leader: new Gauge({
    name: 'ws_doctor_scheduler_leader',
    help: '1 while this replica holds the scheduler lease, else 0.',
    registers: [registry],
  }),
  ready: new Gauge({
    name: 'ws_doctor_ready',
    help: '1 when the last /readyz probe found every dependency usable, else 0.',
    registers: [registry],
  }),
  buildInfo: new Gauge({
    name: 'ws_doctor_build_info',
    help: 'Always 1; labels carry the version and the Node.js runtime.',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  }),
};

metrics.buildInfo.set({ version: process.env.npm_package_version ?? readVersion(), node: process.version }, 1);

function readVersion(): string {
  try {
    // dist/telemetry/metrics.js and src/telemetry/metrics.ts both sit two levels below package.json.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Findings of a finished run → check counters and durations (wired to the Doctor's onReport in main.ts). */
export function recordReport(
  report: { env: string; findings: ReadonlyArray<{ check: string; status: string; durationMs: number }>; verdict: { overall: string } },
  opts: { full: boolean },
): void {
  for (const f of report.findings) {
    metrics.checkRuns.inc({ env: label(report.env), check: label(f.check), status: label(f.status) });
    metrics.checkDuration.observe({ env: label(report.env), check: label(f.check) }, Math.max(0, f.durationMs) / 1000);
  }
  if (opts.full) metrics.statusRuns.inc({ env: label(report.env), overall: label(report.verdict.overall) });
}
