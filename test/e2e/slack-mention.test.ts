/**
 * `@ws-doctor status` end to end, over HTTP and Socket Mode: the app_mention event as Slack sends it (from the
 * stand-in, which delivers it only because the manifests ask for app_mentions:read and the app_mention event),
 * the real bot and Doctor against the demo stack. The answer goes into the mention's thread: "Running…" first,
 * then the verdict in the same message.
 */
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import type { StatusReport } from '../../src/diagnosis/types';
import { Doctor } from '../../src/core/doctor';
import { commandOfMention } from '../../src/slack/bot';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { visibleText, waitFor } from '../peers/slack-api';
import { startSlackHarness, type SlackHarness, type Transport } from '../peers/slack-harness';

jest.setTimeout(120000);

let redis: RedisProcess;
let backend: DemoBackend;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
});

afterAll(async () => {
  await backend?.stop();
  await redis?.stop();
});

/** One event loop for everything here: latency warn levels raised so "healthy" means healthy. */
function relaxedLatency(config: Config): Config {
  for (const env of Object.values(config.environments)) {
    Object.assign(env.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  }
  return config;
}

test('the command is what follows the mention, entities decoded', () => {
  expect(commandOfMention('<@U0WSDOCTOR> status --env staging')).toBe('status --env staging');
  expect(commandOfMention('hey <@U0WSDOCTOR|ws-doctor>: logs web --grep "a&lt;b"')).toBe('logs web --grep "a<b"');
  expect(commandOfMention('<@U0WSDOCTOR>')).toBe('');
});

describe.each<[Transport]>([['http'], ['socket']])('@ws-doctor over %s', (transport) => {
  let h: SlackHarness;
  let doctor: Doctor;
  const reports: StatusReport[] = [];

  beforeAll(async () => {
    backend.faults.clear();
    const config = relaxedLatency(demoConfig(parseConfig({}), backend, redis.url));
    doctor = Doctor.create(config, { stateDir: null, onReport: (r) => reports.push(r) });
    h = await startSlackHarness({ transport, config, doctor });
  });

  afterAll(async () => {
    await h?.stop();
    await doctor?.close();
  });

  afterEach(async () => {
    await h.app.idle(20000);
    expect(h.standIn.refusals).toEqual([]);
    expect(h.standIn.liveMarkup).toEqual([]);
  });

  it('`@ws-doctor status` answers like /ws status, in the thread of the mention, updated in place', async () => {
    const { body, message } = h.standIn.appMention({ text: 'status', user: 'U0MENTION' });
    const d = await h.driver.event(body);
    expect(d.status).toBe(200);
    expect(d.ackMs).toBeLessThan(1000);
    const reply = await waitFor(() => h.standIn.thread('C0OPS', message.ts)[0], 'the answer in the thread');
    await waitFor(() => /Healthy/.test(visibleText(reply)) && reply, 'the verdict');
    expect(reply.versions[0]?.text).toMatch(/Running status on demo/);
    expect(visibleText(reply)).toMatch(/Requested by <@U0MENTION>/);
    expect(h.standIn.thread('C0OPS', message.ts)).toHaveLength(1);
    // Nothing in the channel itself: the thread keeps it tidy.
    expect(h.standIn.channelMessages('C0OPS')).toHaveLength(0);
    const calls = h.standIn.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(calls[0]?.args.thread_ts).toBe(message.ts);
  });

  it('a redelivered event runs nothing twice', async () => {
    const { body, message } = h.standIn.appMention({ text: 'status', user: 'U0TWICE' });
    await h.driver.event(body);
    await waitFor(() => h.standIn.thread('C0OPS', message.ts)[0], 'the answer');
    await h.app.idle();
    const runs = reports.length;
    await h.driver.event(body, { retryNum: 1 });
    await h.app.idle();
    expect(reports.length).toBe(runs);
    expect(h.standIn.thread('C0OPS', message.ts)).toHaveLength(1);
  });

  it('a mention inside a thread answers in that thread; a typo gets help there', async () => {
    const { message: parent } = h.standIn.appMention({ text: 'status', user: 'U0THREAD' });
    await h.app.idle();
    const { body } = h.standIn.appMention({ text: 'stauts', user: 'U0THREAD', threadTs: parent.ts });
    await h.driver.event(body);
    const help = await waitFor(() => h.standIn.thread('C0OPS', parent.ts).find((m) => /Unknown command/.test(visibleText(m))), 'help in the thread');
    expect(visibleText(help)).toMatch(/Did you mean `\/ws status`\?/);
  });

  it('another bot mentioning ws-doctor gets no answer (no bot loops)', async () => {
    const { body, message } = h.standIn.appMention({ text: 'status', user: 'U0OTHERBOT' });
    (body.event as Record<string, unknown>).bot_id = 'B0OTHER';
    await h.driver.event(body);
    await h.app.idle();
    expect(h.standIn.thread('C0OPS', message.ts)).toHaveLength(0);
  });
});
