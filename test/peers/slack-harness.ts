/**
 * One call to stand up "Slack + the bot": the Slack stand-in, and the real Slack adapter (`startSlackApp`)
 * pointed at it over the chosen transport, with a driver that delivers payloads the way Slack would.
 * Used by the integration and e2e tests and by bench/ack.ts.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/schema';
import { startSlackApp, type SlackAppHandle, type SlackAppOptions } from '../../src/slack/app';
import { createLogger } from '../../src/telemetry/logger';
import { REPO_ROOT, startSlackStandIn, type SlackStandIn, type StandInOptions } from './slack-api';
import { httpDriver, socketDriver, type SlackDriver } from './slack-drivers';

export type Transport = 'http' | 'socket';

export interface SlackHarness {
  transport: Transport;
  standIn: SlackStandIn;
  app: SlackAppHandle;
  driver: SlackDriver;
  /** HTTP mode: the bot's events URL. */
  botUrl?: string;
  signingSecret: string;
  /** Requests the HTTP guard refused before Bolt (reasons). */
  refused: string[];
  stop(): Promise<void>;
}

export interface HarnessOptions {
  transport: Transport;
  /** The bot's state folder (its button key lives there); default none (a key in memory). */
  stateDir?: string;
  /** The bot's config without Slack credentials (they are filled in here). */
  config: Config;
  doctor: SlackAppOptions['doctor'];
  standIn?: StandInOptions;
  queue?: SlackAppOptions['queue'];
  /** HTTP mode: more endpoints on the bot's port (the Alertmanager webhook). */
  extraRoutes?: SlackAppOptions['extraRoutes'];
}

export async function startSlackHarness(opts: HarnessOptions): Promise<SlackHarness> {
  const manifestPath = path.join(REPO_ROOT, opts.transport === 'http' ? 'manifest.http.yml' : 'manifest.yml');
  const standIn = await startSlackStandIn({ manifestPath, ...opts.standIn });
  const signingSecret = randomBytes(16).toString('hex');
  const slack = {
    ...opts.config.slack,
    mode: opts.transport,
    botToken: standIn.botToken,
    apiUrl: standIn.apiUrl,
    ...(opts.transport === 'http' ? { signingSecret } : { appToken: standIn.appToken }),
  } as Config['slack'];
  const refused: string[] = [];
  let app: SlackAppHandle;
  try {
    app = await startSlackApp({
      config: { ...opts.config, slack },
      doctor: opts.doctor,
      logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
      env: {},
      listen: { port: 0, host: '127.0.0.1' },
      onRefused: (r) => refused.push(r),
      stateDir: opts.stateDir ?? null,
      ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
      queue: { intervalMs: 200, baseBackoffMs: 100, maxBackoffMs: 1000, ...opts.queue },
    });
  } catch (err) {
    await standIn.close();
    throw err;
  }
  const botUrl = app.port !== undefined ? `http://127.0.0.1:${app.port}/slack/events` : undefined;
  if (opts.transport === 'socket') await standIn.waitForSocket();
  const driver = opts.transport === 'http' ? httpDriver(standIn, botUrl ?? '', signingSecret) : socketDriver(standIn);
  return {
    transport: opts.transport,
    standIn,
    app,
    driver,
    ...(botUrl ? { botUrl } : {}),
    signingSecret,
    refused,
    async stop() {
      await app.stop();
      await standIn.close();
    },
  };
}
