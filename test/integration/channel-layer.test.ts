/**
 * The channel-layer round trip against the real Channels peer (Daphne + channels_redis decoding our
 * messages) and against the demo backend, healthy and with each link of Celery → Redis → ASGI → socket broken.
 */
import Redis from 'ioredis';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { DEMO_SERVICE_ACCOUNT } from '../../src/demo/users';
import { ChannelsStack } from '../peers/channels-stack';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { run, targetsFor, testEnv } from './checks-support';

let stack: ChannelsStack;

beforeAll(async () => {
  stack = await ChannelsStack.start();
}, 60000);
afterAll(async () => await stack?.stop());

async function roundTrip() {
  const targets = targetsFor(stack.botEnv());
  try {
    return (await run(targets, ['channel-layer']))['channel-layer']!;
  } finally {
    await targets.close();
  }
}

describe('channel-layer round trip on the Channels peer', () => {
  it('healthy: the message published as Celery does reaches the probe socket, and the peer logged forwarding it', async () => {
    const from = stack.peer.lines().length;
    const f = await roundTrip();
    expect(f.status).toBe('ok');
    expect(f.summary).toMatch(/reached the probe socket in \d+ ms/);
    expect(f.evidence.members).toBe(1);
    expect(f.evidence.roundTripMs).toBeLessThan(2500);
    expect(String(f.evidence.probeChanged)).toContain('one chat.message');
    await stack.peer.waitForLine(/\[WS_SEND\] Forwarding to client: event=ws_doctor_round_trip, conversation=probe-rt-/, 3000, from);
    await stack.peer.waitForLine(/\[WS_SENT\] Successfully sent to client: event=ws_doctor_round_trip, bytes=\d+/, 3000, from);
    // The probe left nothing behind: group discarded on close.
    const layer = new Redis(`${stack.redisUrl}/3`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await layer.keys('asgi:group:chat_probe-rt-*')).toEqual([]);
    layer.disconnect();
  });

  it("server's channel layer on another DB: the socket's group is not where Celery publishes → channel-group-missing", async () => {
    await stack.inject('channel-layer-db-mismatch');
    const f = await roundTrip();
    expect(f.status).toBe('fail');
    expect(f.signals).toEqual(['channel-group-missing']);
    expect(f.summary).toMatch(/asgi:group:chat_probe-rt-\S+ is empty in DB 3/);
  });

  it('consumer without a chat_message handler: the server takes the message, no frame arrives → chat-message-not-forwarded', async () => {
    await stack.inject('chat-handler-missing');
    const f = await roundTrip();
    expect(f.status).toBe('fail');
    expect(f.signals).toEqual(['chat-message-not-forwarded']);
    expect(f.evidence.stillQueued).toBe(0);
    await stack.peer.waitForLine(/No handler for message type chat\.message/, 3000);
  });

  it('channel-layer Redis out of memory (noeviction): the handshake itself fails (group_add), so the round trip says why it cannot run', async () => {
    await stack.inject('redis-oom');
    const f = await roundTrip();
    expect(f.status).toBe('unknown');
    await stack.heal();
  });
});

describe('channel-layer round trip on the demo backend (same wire format)', () => {
  let redis: RedisProcess;
  let demo: DemoBackend;
  beforeAll(async () => {
    redis = await startRedisServer();
    demo = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  });
  afterAll(async () => {
    await demo?.stop();
    await redis?.stop();
  });

  const demoRoundTrip = async () => {
    const targets = targetsFor(testEnv({ backendUrl: demo.url, redisUrl: redis.url }, DEMO_SERVICE_ACCOUNT.password, { backend: { serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password } } }));
    try {
      return (await run(targets, ['channel-layer']))['channel-layer']!;
    } finally {
      await targets.close();
    }
  };

  it('healthy: the demo reads its channels_redis inbox and forwards chat.message', async () => {
    const f = await demoRoundTrip();
    expect(f.status).toBe('ok');
    expect(demo.logs.lines().some((l) => l.includes('[WS_SEND] Forwarding to client: event=ws_doctor_round_trip'))).toBe(true);
  });
});
