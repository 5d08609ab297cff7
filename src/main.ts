/**
 * Composition root: given a config, build the Doctor and pick the adapter — Slack (Socket Mode or HTTP) when
 * credentials are configured, the interactive console otherwise. Stops cleanly on SIGINT/SIGTERM.
 */
import type { Config } from './config/schema';
import type { ConsoleExtra } from './console/console';
import { Doctor } from './core/doctor';
import { createLogger } from './telemetry/logger';

export interface StartOptions {
  /** Run the console when Slack is off (false: just start Slack or return). */
  interactive: boolean;
  /** Console-only extras (the demo's fault switches). */
  extras?: ConsoleExtra[];
  banner?: string;
}

export interface RunningBot {
  doctor: Doctor;
  stop(): Promise<void>;
}

export async function startBot(config: Config, opts: StartOptions): Promise<RunningBot> {
  const logger = createLogger();
  const doctor = Doctor.create(config);
  const { slackMode, startSlackApp } = await import('./slack/app');
  const mode = slackMode(config);
  let stopSlack: (() => Promise<void>) | undefined;
  if (mode !== 'off') {
    const app = await startSlackApp({ config, doctor, logger, stateStore: doctor.state });
    stopSlack = () => app.stop();
    logger.info({ mode }, 'ws-doctor is listening to Slack');
  }
  const stop = async (): Promise<void> => {
    await stopSlack?.();
    await doctor.close();
  };
  if (mode === 'off' && opts.interactive) {
    const { runConsole } = await import('./console/console');
    await runConsole({
      doctor,
      ...(opts.extras ? { extras: opts.extras } : {}),
      banner: opts.banner ?? 'ws-doctor console (no Slack credentials configured: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET for Slack).',
    });
    await stop();
  } else if (mode !== 'off') {
    await new Promise<void>((resolve) => {
      const onSignal = (): void => resolve();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    await stop();
  }
  return { doctor, stop };
}
