/**
 * Chaos area: running the bot for real — signals at bad moments, a dead backend under the scheduler, its own
 * ports taken, its state folder gone. Whole bot processes (Slack HTTP mode against the stand-in).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { startBotProcess, type BotProcess } from '../peers/bot-process';
import { startRedisServer } from '../peers/redis';
import { postEvent } from '../peers/slack-drivers';
import { REPO_ROOT, startSlackStandIn, visibleText, type SlackStandIn } from '../peers/slack-api';
import { blackHole, deadPort, type FaultServer } from './faults';
import { chaosRow, observe } from './row';

jest.setTimeout(90000);

let standIn: SlackStandIn;
let hole: FaultServer;
let deadRedis: string;

beforeAll(async () => {
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  hole = await blackHole();
  deadRedis = `redis://127.0.0.1:${await deadPort()}`;
});

afterAll(async () => {
  await standIn?.close();
  await hole?.stop();
});

/** An environment whose backend accepts connections and never answers (every run lasts its full deadline). */
function hungEnv(): Record<string, unknown> {
  return {
    backend: { url: hole.url('http'), serviceAccount: { password: 'chaos-probe-password' } },
    redis: { url: deadRedis },
    prometheus: { enabled: false },
    docker: { enabled: false },
    checks: { deadlineMs: 4000 },
  };
}

async function bot(extra: Record<string, unknown> = {}, opts: { waitReady?: boolean; stateDir?: string; secret?: string } = {}): Promise<BotProcess> {
  return startBotProcess({
    config: { defaultEnv: 'chaos', environments: { chaos: hungEnv() }, ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...extra },
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: opts.secret ?? randomBytes(8).toString('hex'), SLACK_API_URL: standIn.apiUrl },
    ...(opts.waitReady === false ? { waitReady: false } : {}),
  });
}

chaosRow('SIGTERM while a scheduled status run waits on a black-holed backend', 'exit 0 within the run deadline + 5 s, "stopped in" logged', async () => {
  const b = await bot({ schedule: { status: '* * * * * *', leaseTtlMs: 900 } });
  // Let a fire start: the run then sits on the hung backend for its whole deadline.
  await new Promise((r) => setTimeout(r, 1600));
  const t0 = Date.now();
  b.signal('SIGTERM');
  const code = await b.exited;
  const ms = Date.now() - t0;
  return observe(`exit ${code} after ${ms} ms; ${/stopped in \d+ ms/.test(b.logs()) ? 'clean stop logged' : 'no clean stop logged'}`, code === 0 && ms < 9000 && /stopped in/.test(b.logs()));
});

chaosRow('a second SIGTERM while the first stop is still waiting', 'exits at once (impatient operator wins)', async () => {
  const b = await bot({ schedule: { status: '* * * * * *', leaseTtlMs: 900 } });
  await new Promise((r) => setTimeout(r, 1600));
  b.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  b.signal('SIGTERM');
  const code = await b.exited;
  const ms = Date.now() - t0;
  return observe(`exit ${code} ${ms} ms after the second signal`, code !== 0 && ms < 2000);
});

chaosRow('the metrics port is already taken by another program', 'start fails at once naming the port and the key to change', async () => {
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  const port = (squatter.address() as net.AddressInfo).port;
  try {
    const err = await startBotProcess({
      config: { defaultEnv: 'chaos', environments: { chaos: hungEnv() }, telemetry: { host: '127.0.0.1', port } },
      http: true,
      env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: standIn.apiUrl, WS_DOCTOR_METRICS_PORT: '' },
      healthTimeoutMs: 15000,
    }).then(
      async (b) => {
        await b.stop();
        return 'started anyway';
      },
      (e: Error) => e.message,
    );
    const named = err.includes(`127.0.0.1:${port}`) && /telemetry\.port|--metrics-port/.test(err);
    return observe(named ? `refused: cannot serve /metrics on 127.0.0.1:${port} (EADDRINUSE), names telemetry.port` : err.slice(0, 200), named);
  } finally {
    squatter.close();
  }
});

chaosRow('the state folder is replaced by a file while the bot runs', '/readyz 503 naming the state store; /healthz 200; back to 200 when repaired', async () => {
  const dir = path.join(os.tmpdir(), `wsd-chaos-state-${randomBytes(3).toString('hex')}`);
  const b = await bot({}, { stateDir: dir });
  try {
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a folder');
    const ready = await fetch(`${b.opsUrl}/readyz`);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    const health = (await fetch(`${b.opsUrl}/healthz`)).status;
    rmSync(dir, { force: true });
    const again = (await fetch(`${b.opsUrl}/readyz`)).status;
    return observe(`readyz ${ready.status} (state ok=${body.checks.state?.ok}), healthz ${health}, after repair readyz ${again}`, ready.status === 503 && body.checks.state?.ok === false && health === 200 && again === 200);
  } finally {
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

chaosRow('SIGTERM just after Slack got the ack of a mention whose redelivery claim waits on a stalled state store (CLIENT PAUSE WRITE)', 'the stop waits for it: the answer is posted in the thread, then exit 0', async () => {
  const redis = await startRedisServer();
  const admin = new Redis(redis.url);
  const secret = randomBytes(8).toString('hex');
  try {
    const b = await bot({ state: { store: 'redis', redis: { url: `${redis.url}/1` } } }, { secret });
    const { body, message } = standIn.appMention({ text: 'help', user: 'U0CHAOS' });
    // Under the store's 1 s command timeout: the claim waits, then succeeds.
    await admin.call('CLIENT', 'PAUSE', '800', 'WRITE');
    const ack = await postEvent(b.eventsUrl as string, body, { secret });
    b.signal('SIGTERM');
    const code = await b.exited;
    const answer = standIn.thread('C0OPS', message.ts)[0];
    return observe(`ack ${ack.status}, exit ${code}, ${answer ? `answer in the thread ("${visibleText(answer).slice(0, 40)}…")` : 'no answer in the thread'}`, ack.status === 200 && code === 0 && !!answer && /remediate|status/.test(visibleText(answer)));
  } finally {
    await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
    admin.disconnect();
    await redis.stop();
  }
});
