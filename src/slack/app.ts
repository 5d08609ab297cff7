/**
 * The Slack adapter's entry point for main.ts:
 *
 *   const mode = slackMode(config);            // 'socket' | 'http' | 'off'
 *   if (mode !== 'off') { const slack = await startSlackApp({ config, doctor, logger }); … await slack.stop(); }
 *
 * One set of listeners (handlers.ts → bot.ts) behind either Bolt receiver; every outbound call through one
 * OutboundQueue over a WebClient whose own retries are off.
 */
import { App, webApi, type SocketModeReceiver } from '@slack/bolt';
import type { StatusReport } from '../diagnosis/types';
import type { DoctorApi } from '../core/api';
import type { Config } from '../config/schema';
import type { Logger } from '../telemetry/logger';
import { label, metrics } from '../telemetry/metrics';
import { ActionSeal } from '../chat/actions/seal';
import { actionKeyFromStore, loadActionKey } from '../state/action-key';
import type { StateStore } from '../state/store';
import { SlackIncidentSink } from './alert-sink';
import { SlackBot } from './bot';
import { registerListeners } from './handlers';
import { boltLogger, defaultLogger, scrub } from './logging';
import { OutboundQueue, createTransport, type QueueOptions, type QueueStats } from './outbound-queue';
import { GuardedHttpReceiver, SlackConfigError, resolveSlack, socketModeReceiver, type SlackMode } from './receivers';

export { slackMode, resolveSlack, SlackConfigError, type SlackMode } from './receivers';

export interface SlackAppOptions {
  config: Config;
  /** The core. When it offers `onReport(listener)` (the Doctor does), App Home refreshes after every run. */
  doctor: DoctorApi & { onReport?: (listener: (r: StatusReport) => void) => () => void };
  logger?: Logger;
  /** Where to read SLACK_* variables the config does not carry. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** HTTP mode listen overrides (tests use port 0 on 127.0.0.1). Default: `slack.port` on `slack.host`. */
  listen?: { port?: number; host?: string };
  /** Outbound pacing/retry knobs (tests shorten them). */
  queue?: QueueOptions;
  /** Called for every HTTP request refused before Bolt (bad/stale/future timestamp, wrong path). */
  onRefused?: (reason: string) => void;
  /** Where the button-sealing key is kept (state/action-key.ts); `null` = memory only. Default config.stateDir. */
  stateDir?: string | null;
  /** With `state.store: redis`, the shared store the replicas take the button key from (one key for all). */
  stateStore?: StateStore;
  /** HTTP mode: more endpoints on the same port (the Alertmanager webhook); each authenticates itself. */
  extraRoutes?: Record<string, (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void>;
}

export interface SlackAppHandle {
  readonly mode: Exclude<SlackMode, 'off'>;
  /** HTTP mode: the port actually bound. */
  readonly port?: number;
  /** Bot identity from auth.test. */
  readonly botUserId: string;
  readonly queue: OutboundQueue;
  /** Republish App Home for its recent viewers (e.g. after a scheduled run). */
  refreshHome(): void;
  /** Wait until handler work and the outbound queue are idle (tests, graceful stops). */
  idle(timeoutMs?: number): Promise<boolean>;
  stats(): QueueStats;
  /** Where incident cards go: this app's queue, its buttons sealed with this app's key. */
  incidentSink(): SlackIncidentSink;
  /** Socket Mode: the WebSocket to Slack is open. HTTP mode: the receiver listens (Slack calls us). */
  connected(): boolean;
  /** Shutdown, step 1: stop taking deliveries (receiver closed), work already taken goes on. */
  stopIntake(): Promise<void>;
  /** Shutdown, step 2: wait for handler work and send what is queued, until `deadline` (epoch ms). */
  flush(deadline: number): Promise<number>;
  /** All of it: stopIntake, then flush within 10 s. */
  stop(): Promise<void>;
}

export async function startSlackApp(opts: SlackAppOptions): Promise<SlackAppHandle> {
  const resolved = resolveSlack(opts.config, opts.env ?? process.env);
  if (resolved.mode === 'off' || !resolved.botToken) throw new SlackConfigError('Slack is off: no bot token with an app token or signing secret is configured.');
  const mode = resolved.mode;
  const log = opts.logger ?? defaultLogger();
  const slackLog = boltLogger(log, 'slack');
  const clientOptions = {
    ...(resolved.apiUrl ? { slackApiUrl: resolved.apiUrl.endsWith('/') ? resolved.apiUrl : `${resolved.apiUrl}/` } : {}),
    // The outbound queue is the single place that retries and honours Retry-After.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10000,
    logger: slackLog,
  };
  const client = new webApi.WebClient(resolved.botToken, clientOptions);
  const auth = await authTest(client);
  const queue = new OutboundQueue(createTransport(client), {
    ...opts.queue,
    onEvent: (e) => {
      if (e.type === 'sent') metrics.slackCallsSent.inc({ method: label(e.call) });
      else if (e.type === 'failed') metrics.slackApiErrors.inc({ method: label(e.call), error: label(e.error.split(/[\s:]/)[0]) });
      else if (e.type === 'rate_limited') metrics.slackRateLimited.inc({ method: label(e.call) });
      if (e.type === 'failed') log.warn(`Slack ${e.call} failed after ${e.attempts} attempt(s): ${e.error}`);
      else if (e.type === 'rate_limited') log.info(`Slack rate-limited ${e.call}; waiting ${e.retryAfterMs} ms`);
      else if (e.type === 'retry') log.info(`Slack ${e.call} failed (${e.error}); retry ${e.attempt} in ${e.delayMs} ms`);
      opts.queue?.onEvent?.(e);
    },
  });
  const key =
    opts.config.state.store === 'redis' && opts.stateStore
      ? await actionKeyFromStore(opts.stateStore).catch((err: Error) => ({ ...loadActionKey(null), source: `memory (${err.message})` }))
      : loadActionKey(opts.stateDir === undefined ? opts.config.stateDir : opts.stateDir);
  if (!key.persistent) log.warn(`button key kept in ${key.source}: buttons sent before a restart will be refused after it`);
  const seal = new ActionSeal(key.key);
  const bot = new SlackBot({ doctor: opts.doctor, queue, logger: log, prefix: resolved.command, seal, ...(opts.stateStore ? { store: opts.stateStore } : {}) });

  let httpReceiver: GuardedHttpReceiver | undefined;
  const receiver =
    mode === 'http'
      ? (httpReceiver = new GuardedHttpReceiver({
          signingSecret: resolved.signingSecret ?? '',
          port: opts.listen?.port ?? resolved.port,
          host: opts.listen?.host ?? opts.config.slack.host,
          logger: slackLog,
          onRefused: (reason) => {
            metrics.slackRefused.inc({ reason: label(reason.replace(/[^a-z]+/gi, '_').slice(0, 40)) });
            opts.onRefused?.(reason);
          },
          ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
        }))
      : socketModeReceiver({ appToken: resolved.appToken ?? '', ...(resolved.apiUrl ? { apiUrl: clientOptions.slackApiUrl } : {}), logger: slackLog });

  const app = new App({
    token: resolved.botToken,
    botId: auth.botId,
    botUserId: auth.userId,
    receiver,
    logger: slackLog,
    // No conversation store: the bot keeps no per-conversation state in Bolt (one middleware less per request).
    convoStore: false,
    clientOptions: { ...clientOptions },
  });
  registerListeners(app, bot, resolved.command);
  // Socket Mode readiness follows the client's own state events (it reconnects by itself after a drop).
  let socketOpen = false;
  if (mode === 'socket') {
    const client = (receiver as SocketModeReceiver).client;
    client.on('connected', () => (socketOpen = true));
    for (const state of ['disconnected', 'reconnecting', 'disconnecting']) client.on(state, () => (socketOpen = false));
  }
  app.error(async (err) => {
    log.error(`Slack listener error: ${scrub(err.message)}`);
  });

  await app.start();
  if (mode === 'socket') socketOpen = true;
  const unsubscribe = opts.doctor.onReport?.(() => bot.home.refreshSoon());
  log.info(`Slack ${mode === 'http' ? `HTTP receiver on port ${httpReceiver?.port}` : 'Socket Mode connected'} as ${auth.userId}`);

  let intakeStopped = false;
  let flushed = false;
  const handle: SlackAppHandle = {
    mode,
    ...(httpReceiver?.port !== undefined ? { port: httpReceiver.port } : {}),
    botUserId: auth.userId,
    queue,
    refreshHome: () => bot.home.refreshSoon(),
    async idle(timeoutMs = 30000) {
      const until = Date.now() + timeoutMs;
      const worked = await bot.idle(timeoutMs);
      const drained = await queue.drain(Math.max(0, until - Date.now()));
      return worked && drained;
    },
    stats: () => queue.stats(),
    incidentSink: () => new SlackIncidentSink(queue, seal),
    connected: () => !intakeStopped && (mode === 'http' ? httpReceiver?.port !== undefined : socketOpen),
    async stopIntake() {
      if (intakeStopped) return;
      intakeStopped = true;
      unsubscribe?.();
      await app.stop().catch((err: Error) => log.warn(`stopping the Slack receiver: ${scrub(err.message)}`));
    },
    async flush(deadline: number) {
      if (flushed) return 0;
      flushed = true;
      await bot.idle(Math.max(0, deadline - Date.now() - 1000));
      bot.close();
      const left = await queue.close(Math.max(0, deadline - Date.now()));
      if (left) log.warn(`${left} Slack message(s) not sent at shutdown`);
      return left;
    },
    async stop() {
      await handle.stopIntake();
      await handle.flush(Date.now() + 10000);
    },
  };
  return handle;
}

async function authTest(client: InstanceType<typeof webApi.WebClient>): Promise<{ userId: string; botId: string }> {
  let lastErr: unknown;
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      const r = await client.auth.test();
      if (!r.user_id || !r.bot_id) throw new SlackConfigError('auth.test did not identify a bot user: is SLACK_BOT_TOKEN a bot token (xoxb-)?');
      return { userId: r.user_id, botId: r.bot_id };
    } catch (err) {
      lastErr = err;
      const code = (err as { data?: { error?: string } }).data?.error;
      if (err instanceof SlackConfigError) throw err;
      if (code) throw new SlackConfigError(`Slack refused the bot token (auth.test: ${code}). Check SLACK_BOT_TOKEN.`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
  throw new Error(`Slack is unreachable (auth.test): ${scrub((lastErr as Error)?.message ?? String(lastErr))}`);
}
