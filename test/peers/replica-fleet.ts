/**
 * Several real ws-doctor processes (Slack HTTP mode, the stand-in as Slack) sharing one state store on a real
 * redis-server of its own — the way replicas run behind a load balancer — watching the demo backend on another
 * redis-server. For the replica tests, the leader-killed chaos rows and the takeover benchmark.
 *
 * The test reads what the replicas wrote through the same RedisStore class the bot uses (no mock: the real
 * store on the real server), and each replica's own counters from its `/metrics`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend, type DemoBackendOptions } from '../../src/demo/index';
import { RedisStore } from '../../src/state/redis-store';
import type { StoredValue } from '../../src/state/store';
import { sampleSum, startBotProcess, type BotProcess } from './bot-process';
import { startRedisServer, type RedisProcess } from './redis';
import { REPO_ROOT, startSlackStandIn, type SlackStandIn } from './slack-api';
import { postEvent, postInteraction, postSlashCommand, type HttpAnswer } from './slack-drivers';
import type { SlashPayload } from './slack-api';

export interface FleetOptions {
  replicas: number;
  /** Scheduled status pattern (6 fields). Default every 2 s. */
  status?: string;
  leaseTtlMs?: number;
  /** Extra config merged over the fleet's (alerts, policy, telemetry …). */
  config?: Record<string, unknown>;
  backend?: Partial<DemoBackendOptions>;
  /** Thresholds of the demo env's checks. */
  thresholds?: Record<string, number>;
  /** How Slack reaches the replicas: HTTP behind a load balancer (default) or one Socket Mode connection each. */
  transport?: 'http' | 'socket';
}

export interface Fleet {
  readonly stateRedis: RedisProcess;
  readonly stackRedis: RedisProcess;
  readonly backend: DemoBackend;
  readonly standIn: SlackStandIn;
  readonly secret: string;
  /** The state store as the bots see it. */
  readonly store: RedisStore;
  readonly bots: BotProcess[];
  /** The config every replica runs (YAML input). */
  readonly config: Record<string, unknown>;
  /** Start one more replica with the fleet's config. */
  addReplica(): Promise<BotProcess>;
  metric(bot: BotProcess, name: string, labels?: Record<string, string>): Promise<number>;
  /** `metric` summed over the replicas still running. */
  metricSum(name: string, labels?: Record<string, string>): Promise<number>;
  /** The replica currently holding the scheduler lease (by its `ws_doctor_scheduler_leader` gauge). */
  leader(): Promise<BotProcess | undefined>;
  command(bot: BotProcess, cmd: SlashPayload, retryNum?: number): Promise<HttpAnswer>;
  action(bot: BotProcess, payload: object): Promise<HttpAnswer>;
  event(bot: BotProcess, body: object, retryNum?: number): Promise<HttpAnswer>;
  get<T>(key: string): Promise<StoredValue<T> | undefined>;
  stop(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const stateRedis = await startRedisServer();
  const stackRedis = await startRedisServer();
  const backend = await startDemoBackend({ redisUrl: stackRedis.url, loginRatePerMinute: 100000, ...opts.backend });
  const socket = opts.transport === 'socket';
  const standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, socket ? 'manifest.yml' : 'manifest.http.yml') });
  const secret = randomBytes(16).toString('hex');
  const demo = demoConfig(parseConfig({}), backend, stackRedis.url).environments.demo;
  if (!demo) throw new Error('no demo env');
  Object.assign(demo.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000, ...opts.thresholds });
  const stateUrl = `${stateRedis.url}/1`;
  const config: Record<string, unknown> = {
    defaultEnv: 'demo',
    environments: { demo },
    state: { store: 'redis', redis: { url: stateUrl } },
    schedule: { channel: 'C0OPS', status: opts.status ?? '*/2 * * * * *', leaseTtlMs: opts.leaseTtlMs ?? 3000 },
    alerts: { enabled: false },
    ...opts.config,
  };
  const store = new RedisStore({ url: stateUrl, keyPrefix: 'wsd:' });
  const bots: BotProcess[] = [];
  const env: Record<string, string> = socket
    ? { SLACK_BOT_TOKEN: standIn.botToken, SLACK_APP_TOKEN: standIn.appToken, SLACK_API_URL: standIn.apiUrl }
    : { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl };
  const addReplica = async (): Promise<BotProcess> => {
    const bot = await startBotProcess({ config, http: !socket, env, healthTimeoutMs: 60000 });
    void bot.exited.then(() => dead.add(bot));
    bots.push(bot);
    return bot;
  };
  const dead = new Set<BotProcess>();
  const alive = async (b: BotProcess): Promise<boolean> => !dead.has(b);
  const metric = async (bot: BotProcess, name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await (await fetch(`${bot.opsUrl}/metrics`, { signal: AbortSignal.timeout(10000) })).text();
    return sampleSum(text, name, labels);
  };
  try {
    // One at a time: the first one to start leads, the others stand by (start-up order is the test's to know).
    for (let i = 0; i < opts.replicas; i++) await addReplica();
  } catch (err) {
    await Promise.all(bots.map((b) => b.stop()));
    throw err;
  }
  return {
    stateRedis,
    stackRedis,
    backend,
    standIn,
    secret,
    store,
    bots,
    config,
    addReplica,
    metric,
    async metricSum(name, labels = {}) {
      let sum = 0;
      for (const b of bots) if (await alive(b)) sum += await metric(b, name, labels).catch(() => 0);
      return sum;
    },
    async leader() {
      for (const b of bots) if ((await alive(b)) && (await metric(b, 'ws_doctor_scheduler_leader').catch(() => 0)) === 1) return b;
      return undefined;
    },
    async command(bot, cmd, retryNum) {
      const r = await postSlashCommand(bot.eventsUrl as string, cmd, { secret, ...(retryNum !== undefined ? { retryNum } : {}) });
      if (r.status === 200) standIn.acceptCommandAck(cmd, r.body);
      return r;
    },
    action: (bot, payload) => postInteraction(bot.eventsUrl as string, payload, { secret }),
    event: (bot, body, retryNum) => postEvent(bot.eventsUrl as string, body, { secret, ...(retryNum !== undefined ? { retryNum } : {}) }),
    get: (key) => store.get(key),
    async stop() {
      await Promise.all(bots.map((b) => b.stop()));
      await store.close().catch(() => undefined);
      await standIn.close();
      await backend.stop();
      await stackRedis.stop();
      await stateRedis.stop();
    },
  };
}

/** A rule file of check rules for the fleet (written to a temp dir; returns its path and a cleanup). */
export function writeRuleFile(yaml: string): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wsd-rules-'));
  const file = path.join(dir, 'rules.yml');
  writeFileSync(file, yaml);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
