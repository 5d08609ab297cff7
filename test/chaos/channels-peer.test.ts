/**
 * Chaos rows for the real Channels peer (Daphne + channels_redis + redis-server) and the channel-layer round
 * trip: a server that freezes mid-probe, a Redis that refuses writes, a flood of other clients' bad handshakes.
 * The bot must answer within its bounds, name the cause and leave nothing queued.
 */
import Redis from 'ioredis';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { buildTargets } from '../../src/targets/build';
import { runChecks, withDependencies } from '../../src/checks/runner';
import { allChecks } from '../../src/checks/registry';
import { ChannelsStack } from '../peers/channels-stack';
import { chaosRow, observe } from './row';

jest.setTimeout(120_000);

let stack: ChannelsStack;

beforeAll(async () => {
  stack = await ChannelsStack.start();
}, 60_000);
afterAll(async () => await stack?.stop());

function doctor(): Doctor {
  const env = stack.botEnv({
    backend: { timeoutMs: 2000 },
    checks: { deadlineMs: 6000, timeoutMs: 5000, thresholds: { redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000, handshakeWarnMs: 3000, channelRoundTripWarnMs: 3000 } },
  });
  return Doctor.create({ ...loadConfig({ env: {} }), defaultEnv: 'peer', environments: { peer: env } }, { stateDir: null });
}

describe('channels peer', () => {
  chaosRow(
    'Daphne freezes (SIGSTOP) the moment the round-trip socket is accepted',
    'channel-layer check ends within its step bounds, blames the hung server (not the consumer), leaves no message queued',
    async () => {
      await stack.heal();
      const env = stack.botEnv({ backend: { timeoutMs: 2000 }, checks: { deadlineMs: 8000, timeoutMs: 7000 } });
      const targets = buildTargets('peer', env);
      const from = stack.peer.lines().length;
      // Freeze as soon as the peer logs the probe-rt socket as connected (before or after its frame: both must be bounded).
      const freeze = stack.peer
        .waitForLine(/WebSocket connected: user=7, conversation=probe-rt-/, 8000, from)
        .then(() => stack.peer.pause())
        .catch(() => undefined);
      const t0 = Date.now();
      try {
        const res = await runChecks({ envName: 'peer', env, targets, checks: withDependencies(['channel-layer'], allChecks) });
        const ms = Date.now() - t0;
        await freeze;
        const f = res.findings.find((x) => x.check === 'channel-layer');
        stack.peer.resume();
        const layer = new Redis(`${stack.redisUrl}/3`);
        const inboxes = await layer.keys('asgispecific.*');
        let queued = 0;
        for (const k of inboxes) queued += await layer.zcard(k);
        layer.disconnect();
        return observe(
          `${f?.status} in ${ms} ms: ${f?.summary.slice(0, 120)}; ${queued} message(s) left queued`,
          f !== undefined && f.status !== 'ok' && !(f.signals ?? []).includes('chat-message-not-forwarded') && ms < 2000 * 4 + 1500 && queued === 0,
        );
      } finally {
        stack.peer.resume();
        await targets.close();
      }
    },
  );

  chaosRow('the peer\'s Redis refuses every write (maxmemory 1 byte, noeviction)', 'status within its deadline, root cause redis-oom, no restart offered', async () => {
    await stack.inject('redis-oom');
    const d = doctor();
    try {
      const t0 = Date.now();
      const r = await d.status('peer');
      const ms = Date.now() - t0;
      return observe(`${r.verdict.rootCause?.id} in ${ms} ms, fixes [${r.verdict.rootCause?.remediations.join(',')}]`, r.verdict.rootCause?.id === 'redis-oom' && ms < 7500 && (r.verdict.rootCause?.remediations ?? []).length === 0);
    } finally {
      await d.close();
      await stack.heal();
    }
  });

  chaosRow('50 handshakes with bogus tokens from another client just before status', "the bot's own probe still passes: Healthy, no 403 blamed on the stack", async () => {
    await stack.heal();
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const ws = new WebSocket(`${stack.peer.wsUrl}/ws/chat/flood-${i}/?connection_token=bogus-${i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`);
            ws.on('unexpected-response', (_q, res) => (res.resume(), ws.terminate(), resolve()));
            ws.on('error', () => resolve());
            ws.on('open', () => (ws.close(), resolve()));
          }),
      ),
    );
    const d = doctor();
    try {
      const r = await d.status('peer');
      return observe(r.verdict.headline.slice(0, 120), r.verdict.overall === 'ok');
    } finally {
      await d.close();
    }
  });
});
