/**
 * Composition root: given a config, build the Doctor and pick the adapter — Slack (Socket Mode or HTTP) when
 * credentials are configured, the interactive console otherwise — plus the operations endpoints (`/metrics`,
 * `/healthz`, `/readyz`) and the graceful stop on SIGINT/SIGTERM (lifecycle/shutdown.ts).
 */
import type { Config } from './config/schema';
import type { ConsoleExtra } from './console/console';
import type { AlertService } from './alerts/service';
import type { IncidentSink } from './alerts/sink';
import { ConfigError } from './config/load';
import { Doctor } from './core/doctor';
import { Lifecycle, settledBy, type StopReport } from './lifecycle/shutdown';
import { createLogger, type Logger } from './telemetry/logger';
import { recordReport } from './telemetry/metrics';
import { stateStoreProbe } from './telemetry/readiness';
import { DEFAULT_METRICS_PORT } from './telemetry/ports';
import { OpsServer } from './telemetry/server';
import type { Scheduler } from './scheduler/scheduler';
import type { Notifier } from './scheduler/types';
import { slackMode } from './slack/mode';
import { openStateStore } from './state/open';
import type { StateStore } from './state/store';


/** Of the shutdown bound, what is kept for after the work phase: recording, the Slack flush, releases. */
const SHUTDOWN_TELL_MS = 4000;

export interface StartOptions {
  /** Run the console when Slack is off (false: just start Slack or return). */
  interactive: boolean;
  /** Console-only extras (the demo's fault switches). */
  extras?: ConsoleExtra[];
  banner?: string;
  /** `--metrics-port`: wins over `telemetry.port`; in the console it switches the endpoints on. */
  metricsPort?: number;
  logger?: Logger;
  /**
   * Answer `ws-doctor status` over the local socket (telemetry.cliSocket), for the config read from this file
   * (undefined: $WS_DOCTOR_CONFIG or the built-in defaults). Absent: no socket (the demo's config is no file).
   */
  cliSocket?: { configPath: string | undefined };
}

export interface RunningBot {
  doctor: Doctor;
  lifecycle: Lifecycle;
  /** The ops server's base URL when it runs. */
  opsUrl?: string;
  stop(reason?: string): Promise<StopReport>;
}

/**
 * The Alertmanager receiver's handler, made before the Slack app (HTTP mode serves it on the same port) and
 * bound to the alert service once that exists; until then a webhook gets 503 and Alertmanager retries.
 */
async function alertmanagerIntake(config: Config, logger: Logger) {
  const { alertmanagerHandler } = await import('./alerts/alertmanager');
  const { alertmanagerToken } = await import('./alerts/build');
  const token = alertmanagerToken(config);
  if (!token) throw new ConfigError('config', ['alerts.alertmanager.token: required when alerts.alertmanager.enabled (or env WS_DOCTOR_ALERTMANAGER_TOKEN); expected a shared secret']);
  let service: { receiveAlertmanager: AlertService['receiveAlertmanager'] } | undefined;
  const intake = {
    token,
    env: config.alerts.alertmanager.env ?? config.defaultEnv,
    receive: (env: string, alerts: Parameters<AlertService['receiveAlertmanager']>[1]) =>
      service ? service.receiveAlertmanager(env, alerts) : Promise.reject(new Error('alert service not started yet')),
    log: { warn: (m: string) => logger.warn(m) },
  };
  return { intake, handler: alertmanagerHandler(intake), bind: (s: AlertService) => (service = s) };
}

/** Where the ops endpoints listen, or undefined when they are off (console without a port). */
export function opsPort(config: Config, slackOn: boolean, flag?: number): number | undefined {
  return flag ?? config.telemetry.port ?? (slackOn ? DEFAULT_METRICS_PORT : undefined);
}

export async function startBot(config: Config, opts: StartOptions): Promise<RunningBot> {
  const logger = opts.logger ?? createLogger();
  const lifecycle = new Lifecycle({
    timeoutMs: config.telemetry.shutdownTimeoutMs,
    log: (level, msg) => logger[level](msg),
  });
  // The embedded SQLite file in stateDir by default; `state.store: redis` shares it between replicas.
  const store = openStateStore(config);
  const doctor = Doctor.create(config, { stateStore: store });
  doctor.onReport((r) => recordReport(r, { full: r.findings.length >= doctor.checkNames(r.env).length }));
  lifecycle.on('close', 'doctor', () => doctor.close());
  lifecycle.on('close', 'state-store', () => store.close());
  // Expire unanswered approvals and tell the truth about executions a previous run of the bot left behind.
  await doctor.remediations.start();
  lifecycle.on('intake', 'remediation-sweeps', () => doctor.remediations.stop());
  // A remediation already executing may finish (its verification included) while the bound leaves time to tell
  // Slack; one still going then is recorded `interrupted` by this process (audit, request, card), its action
  // aborted and its locks released — never re-run. (A bot killed outright leaves that to the next sweep.)
  // Presses Slack was already told were received (an approval still awaiting its redelivery claim) are
  // remediation work too, waited for first: they may yet hand the engine a run. The Slack app sets this.
  let pressesInFlight: (deadline: number) => Promise<unknown> = async () => undefined;
  lifecycle.on('work', 'remediations', async (deadline) => {
    const settled = (async () => {
      await pressesInFlight(deadline - SHUTDOWN_TELL_MS);
      await doctor.remediations.idle();
    })();
    if (await settledBy(settled, deadline - SHUTDOWN_TELL_MS)) return;
    const cut = await doctor.remediations.interruptRunning('the bot was stopped (shutdown)');
    logger.warn(`shutdown: ${cut.length} remediation(s) still executing recorded as interrupted: ${cut.map((r) => `${r.id} ${r.action}`).join(', ')}`);
  });

  const mode = slackMode(config);
  // Listening from the start: a SIGTERM during start-up (a replica scaled away at once) stops cleanly too.
  const signalled =
    mode === 'off'
      ? undefined
      : new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });

  if (opts.cliSocket && config.telemetry.cliSocket) {
    const { StatusSocketServer } = await import('./cli-socket/server');
    const socket = new StatusSocketServer({
      doctor,
      configPath: opts.cliSocket.configPath,
      deadlineMs: (env) => config.environments[env]?.checks.deadlineMs ?? 5000,
      log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    });
    const served = await socket.start();
    if (served) {
      lifecycle.on('intake', 'cli-socket', () => socket.stop());
      logger.info(`answering \`ws-doctor status\` of this config on ${served}`);
    }
  }

  const port = opsPort(config, mode !== 'off', opts.metricsPort);
  let ops: OpsServer | undefined;
  if (port !== undefined) {
    ops = new OpsServer({ port, host: config.telemetry.host });
    await ops.start();
    ops.addReadiness('state', stateStoreProbe(store));
    const server = ops;
    lifecycle.on('intake', 'readyz', () => server.markStopping());
    // Last: /healthz answers until everything else has stopped.
    lifecycle.on('close', 'ops-server', () => server.stop());
    logger.info(`metrics and health endpoints on ${ops.url} (/metrics, /healthz, /readyz)`);
  }

  // Alert rules: cards go to Slack, so they run with Slack and a channel for them (alerts.channel).
  const alertsOn = config.alerts.enabled && mode !== 'off' && Boolean(config.alerts.channel);
  if (config.alerts.enabled && mode !== 'off' && !config.alerts.channel) logger.warn('alert rules are off: set alerts.channel to the Slack channel id for incident cards');
  const alertmanager = alertsOn && config.alerts.alertmanager.enabled ? await alertmanagerIntake(config, logger) : undefined;

  if (mode !== 'off') {
    // Not ready until Slack is: without this placeholder /readyz said 200 while the app was still starting
    // (only the state store was asked), and a load balancer's first request met a closed port.
    ops?.addReadiness('slack', () => {
      throw new Error('the Slack app is still starting');
    });
    // Loaded only for Slack: the console never pays for Bolt and its dependencies.
    const { startSlackApp } = await import('./slack/app');
    const { slackNotifier } = await import('./slack/notifier');
    const app = await startSlackApp({
      config,
      doctor,
      logger,
      stateStore: doctor.stateStore,
      ...(alertmanager && mode === 'http' ? { extraRoutes: { '/alertmanager': alertmanager.handler } } : {}),
    });
    ops?.addReadiness('slack', () => {
      if (!app.connected()) throw new Error(mode === 'socket' ? 'Socket Mode connection to Slack is not open' : 'HTTP receiver is not listening');
      return mode === 'socket' ? 'socket mode connected' : `http receiver on port ${app.port}`;
    });
    lifecycle.on('intake', 'slack-receiver', () => app.stopIntake());
    pressesInFlight = (deadline) => app.idle(Math.max(0, deadline - Date.now()));
    lifecycle.on('flush', 'slack-queue', async (deadline) => {
      await app.flush(deadline);
    });
    logger.info({ mode }, 'ws-doctor is listening to Slack');
    const scheduler = config.schedule.enabled ? await startSchedule(config, doctor, store, slackNotifier(app.queue), lifecycle, logger) : undefined;
    if (alertsOn) {
      const { buildAlertService } = await import('./alerts/build');
      const service = buildAlertService({
        config,
        store: doctor.stateStore,
        sink: app.incidentSink(),
        checks: doctor,
        checkNames: doctor.checkNames(config.defaultEnv),
        log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      });
      doctor.alerts = service;
      alertmanager?.bind(service);
      // One replica evaluates each tick: the scheduler's lease, or one of the alerts' own when the schedule is off.
      const { StoreRunCoordinator } = await import('./scheduler/coordinator');
      const { replicaId } = await import('./scheduler/wire');
      const coordinator = scheduler?.coordinator ?? new StoreRunCoordinator(store, replicaId(), config.schedule.leaseTtlMs);
      if (!scheduler) lifecycle.on('release', 'alerts-lease', () => coordinator.release());
      service.start(coordinator);
      lifecycle.on('intake', 'alert-rules', () => service.stop());
      logger.info(`alert rules: ${service.rules.length} rule(s), cards to ${config.alerts.channel}; jobs ${service.jobsInfo().map((j) => j.name).join(', ')}`);
      if (alertmanager && mode !== 'http') {
        const port = config.alerts.alertmanager.port;
        if (port === undefined) throw new ConfigError('config', ['alerts.alertmanager.port: required in Socket Mode (there is no HTTP receiver to share); expected a port number']);
        const { startAlertmanagerListener } = await import('./alerts/alertmanager');
        const listener = await startAlertmanagerListener(alertmanager.intake, { port, host: config.alerts.alertmanager.host });
        lifecycle.on('intake', 'alertmanager-listener', () => listener.stop());
        logger.info(`Alertmanager webhook on http://${config.alerts.alertmanager.host}:${listener.port}/alertmanager`);
      }
    }
  }

  const stop = (reason = 'stop'): Promise<StopReport> => lifecycle.stop(reason);
  const running: RunningBot = { doctor, lifecycle, ...(ops?.url ? { opsUrl: ops.url } : {}), stop };

  if (mode === 'off' && opts.interactive) {
    const { runConsole } = await import('./console/console');
    const closeConsole = new AbortController();
    const onTerm = (): void => closeConsole.abort();
    process.once('SIGTERM', onTerm);
    // The terminal going away (its window closed, tmux killed) sends SIGHUP, whose default ends the process at
    // once — before the demo stops the redis-server and Prometheus it started, which then run on as orphans. Here
    // it means "stop", also while stopping. Console mode only: a bot started under nohup must keep ignoring it.
    process.on('SIGHUP', onTerm);
    await runConsole({
      doctor,
      signal: closeConsole.signal,
      ...(config.alerts.enabled && config.alerts.console ? { alerts: (sink: IncidentSink) => startAlerts(config, doctor, sink, lifecycle, logger) } : {}),
      ...(opts.extras ? { extras: opts.extras } : {}),
      banner: opts.banner ?? 'ws-doctor console (no Slack credentials configured: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET for Slack).',
    });
    process.off('SIGTERM', onTerm);
    await stop(closeConsole.signal.aborted ? 'SIGTERM' : 'console closed');
    process.off('SIGHUP', onTerm);
  } else if (signalled) {
    const signal = await signalled;
    // A second signal while stopping means "now".
    const now = (): never => process.exit(130);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    const report = await stop(signal);
    exitSoon(report);
  }
  return running;
}

/** Alert rules whose cards go to the console (`alerts.console`); Slack mode builds its own above. */
async function startAlerts(config: Config, doctor: Doctor, sink: IncidentSink, lifecycle: Lifecycle, logger: Logger): Promise<void> {
  const { buildAlertService } = await import('./alerts/build');
  const service = buildAlertService({ config, store: doctor.stateStore, sink, checks: doctor, checkNames: doctor.checkNames(config.defaultEnv), log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) } });
  doctor.alerts = service;
  service.start();
  lifecycle.on('intake', 'alert-rules', () => service.stop());
}

/** Scheduled jobs (status on change, digest, cleanup), coordinated through the state store across replicas. */
async function startSchedule(config: Config, doctor: Doctor, store: StateStore, notifier: Notifier, lifecycle: Lifecycle, logger: Logger): Promise<Scheduler> {
  const { buildSchedule, replicaId } = await import('./scheduler/wire');
  const replica = replicaId();
  const { scheduler } = buildSchedule({ config, doctor, store, notifier, holder: replica, log: (level, msg) => logger[level](msg) });
  doctor.schedule = async () => ({ jobs: await scheduler.info(), replica, leader: scheduler.coordinator.isLeader });
  lifecycle.on('intake', 'scheduler', () => scheduler.stopFiring());
  lifecycle.on('work', 'scheduled-runs', async (deadline) => {
    if (!(await scheduler.drain(deadline - 2000))) logger.warn('a scheduled run was still going at shutdown: it stops at its next step');
  });
  lifecycle.on('release', 'scheduler-lease', () => scheduler.release());
  await scheduler.start();
  logger.info(`scheduler started as ${replica} (${scheduler.coordinator.isLeader ? 'leading' : 'standby'}); status ${config.schedule.status}, digest ${config.schedule.digest} ${config.schedule.timezone}`);
  return scheduler;
}

/**
 * After a signal-driven stop the process should end even if some library left a handle open (a socket that
 * never closed); the timer is unref'd, so a clean event loop exits earlier on its own.
 */
function exitSoon(report: StopReport): void {
  if (!report.clean) process.exitCode = 1;
  setTimeout(() => process.exit(), 1000).unref();
}
