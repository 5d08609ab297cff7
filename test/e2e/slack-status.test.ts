/**
 * /ws status end to end: a real redis-server, the demo backend on it, the real Doctor, the real Slack adapter,
 * and the Slack stand-in playing Slack — over HTTP (signed requests) and over Socket Mode. Every message the
 * bot sends must pass the stand-in's Block Kit validation.
 */
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import type { StatusReport } from '../../src/diagnosis/types';
import { Doctor } from '../../src/core/doctor';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { visibleText, waitFor, type StoredMessage } from '../peers/slack-api';
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

/**
 * Everything (Redis client, demo backend, bot, stand-in, jest) shares one event loop here, so a PING can take
 * 50 ms when the loop is busy: latency warn levels are raised so "healthy" means healthy, not "fast box".
 */
function relaxedLatency(config: Config): Config {
  for (const env of Object.values(config.environments)) {
    Object.assign(env.checks.thresholds, { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000 });
  }
  return config;
}

describe.each<[Transport]>([['http'], ['socket']])('/ws over %s', (transport) => {
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
    // Nothing the bot sent was refused for its shape (not_in_channel is provoked on purpose below).
    expect(h.standIn.refusals.filter((r) => r.error !== 'not_in_channel')).toEqual([]);
    // Nothing the bot sent holds a live mention or link (text is never markup).
    expect(h.standIn.liveMarkup).toEqual([]);
  });

  const latest = (m: StoredMessage | undefined): string => (m ? visibleText(m) : '');
  const final = (m: StoredMessage, what: RegExp) => waitFor(() => what.test(latest(m)) && m, `message matching ${what}`, 20000);

  it('answers a healthy stack privately: ack at once, "Running…" first, then the answer in the same message', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0ALICE' });
    const d = await h.driver.command(cmd);
    expect(d.status).toBe(200);
    expect(d.ackMs).toBeLessThan(1000);
    const msg = await waitFor(() => h.standIn.ephemerals('U0ALICE')[0], 'the private answer');
    await final(msg, /Healthy/);
    expect(msg.versions[0]?.text).toMatch(/Running status on demo/);
    expect(msg.ephemeral).toBe(true);
    expect(h.standIn.channelMessages('C0OPS')).toHaveLength(0);
    // Private answers go through the response_url: a create and one replace.
    const posts = h.standIn.responseUrlCalls.filter((c) => c.ok);
    expect(posts.map((c) => c.args.replace_original)).toEqual([false, true]);
    const buttons = JSON.stringify(msg.blocks);
    expect(buttons).toMatch(/wsd:rerun:\d/);
    expect(buttons).toMatch(/wsd:details:\d/);
    expect(buttons).toMatch(/wsd:share:\d/);
  });

  it('names the root cause when Redis is down, and Re-run updates the same message in place', async () => {
    backend.faults.set('redis-down', true);
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0BROKEN' });
    await h.driver.command(cmd);
    const msg = await waitFor(() => h.standIn.ephemerals('U0BROKEN')[0], 'the private answer');
    await final(msg, /Down/);
    expect(latest(msg)).toMatch(/connection-token endpoint fails|Redis/i);
    expect(latest(msg)).toMatch(/explained by/);

    backend.faults.set('redis-down', false);
    const versionsBefore = msg.versions.length;
    const click = h.standIn.click(msg, { kind: 'rerun' }, 'U0BROKEN');
    const d = await h.driver.action(click);
    expect(d.status).toBe(200);
    expect(d.ackMs).toBeLessThan(1000);
    await waitFor(() => msg.versions.length >= versionsBefore + 2 && /Healthy/.test(latest(msg)), 're-run answer');
    expect(msg.versions[versionsBefore]?.text).toMatch(/^Re-running status --env demo/);
    expect(h.standIn.ephemerals('U0BROKEN')).toHaveLength(1);
  });

  it('a double click runs nothing twice', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0DOUBLE' });
    await h.driver.command(cmd);
    const msg = await waitFor(() => h.standIn.ephemerals('U0DOUBLE')[0], 'the private answer');
    await final(msg, /Healthy/);
    await h.app.idle();
    const before = reports.length;
    const versions = msg.versions.length;
    await Promise.all([h.driver.action(h.standIn.click(msg, { kind: 'rerun' }, 'U0DOUBLE')), h.driver.action(h.standIn.click(msg, { kind: 'rerun' }, 'U0DOUBLE'))]);
    await h.app.idle();
    expect(reports.length - before).toBe(1);
    expect(msg.versions.length - versions).toBe(2); // one "Running…" and one answer
  });

  it('Post to channel shares the exact answer, removes the private copy, and Re-run there uses chat.update', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0SHARE' });
    await h.driver.command(cmd);
    const mine = await waitFor(() => h.standIn.ephemerals('U0SHARE')[0], 'the private answer');
    await final(mine, /Healthy/);
    const answerText = mine.text;
    await h.driver.action(h.standIn.click(mine, { kind: 'share' }, 'U0SHARE'));
    const shared = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => /Posted by <@U0SHARE>/.test(visibleText(m))), 'the shared message');
    expect(shared.text).toBe(answerText);
    expect(JSON.stringify(shared.blocks)).not.toMatch(/wsd:share/);
    await waitFor(() => h.standIn.ephemerals('U0SHARE').length === 0, 'the private copy to go');

    const updatesBefore = h.standIn.callsTo('chat.update').length;
    await h.driver.action(h.standIn.click(shared, { kind: 'rerun' }, 'U0BOB'));
    await waitFor(() => h.standIn.callsTo('chat.update').length >= updatesBefore + 2 && /Re-run by <@U0BOB>/.test(visibleText(shared)) && /Healthy/.test(shared.text), 'the in-place re-run');
    expect(h.standIn.channelMessages('C0OPS').filter((m) => m.ts === shared.ts)).toHaveLength(1);

    // Details on a shared message: the evidence goes into its thread.
    await h.driver.action(h.standIn.click(shared, { kind: 'details' }, 'U0BOB'));
    const thread = await waitFor(() => h.standIn.thread('C0OPS', shared.ts)[0], 'the evidence thread');
    expect(visibleText(thread)).toMatch(/Evidence — demo/);
  });

  it('Details on a private answer opens a modal with the evidence', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0MODAL' });
    await h.driver.command(cmd);
    const mine = await waitFor(() => h.standIn.ephemerals('U0MODAL')[0], 'the private answer');
    await final(mine, /Healthy/);
    const modalsBefore = h.standIn.modals.size;
    await h.driver.action(h.standIn.click(mine, { kind: 'details' }, 'U0MODAL'));
    await waitFor(() => h.standIn.modals.size > modalsBefore, 'the modal');
    const modal = [...h.standIn.modals.values()].at(-1);
    expect(modal?.user).toBe('U0MODAL');
    expect(visibleText(modal?.view ?? {})).toMatch(/Evidence — demo/);
    expect(visibleText(modal?.view ?? {})).toMatch(/token-issuance/);
  });

  it('`/ws status share` posts "Running…" to the channel and updates it; where the bot is not a member it uses the response_url', async () => {
    await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0PUB' }));
    const m = await waitFor(() => h.standIn.channelMessages('C0OPS').find((x) => /Requested by <@U0PUB>/.test(visibleText(x))), 'the shared answer');
    await final(m, /Healthy/);
    expect(m.versions[0]?.text).toMatch(/Running/);
    expect(m.via).toBe('api');

    await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0PUB', channel: 'C0NOBOT' }));
    const m2 = await waitFor(() => h.standIn.channelMessages('C0NOBOT')[0], 'the fallback answer');
    await final(m2, /Healthy/);
    expect(m2.via).toBe('response_url');
    expect(m2.ephemeral).toBe(false);
  });

  it('unknown input gets help with the closest command, in the ack itself', async () => {
    const cmd = h.standIn.slashCommand({ text: 'stauts', user: 'U0TYPO' });
    await h.driver.command(cmd);
    const m = await waitFor(() => h.standIn.ephemerals('U0TYPO')[0], 'the help answer');
    expect(m.via).toBe('ack');
    expect(visibleText(m)).toMatch(/Did you mean `\/ws status`/);
  });

  it('a retried delivery of the same command does not run twice', async () => {
    const cmd = h.standIn.slashCommand({ text: 'status', user: 'U0RETRY' });
    await h.driver.command(cmd);
    const m = await waitFor(() => h.standIn.ephemerals('U0RETRY')[0], 'the answer');
    await final(m, /Healthy/);
    await h.app.idle();
    const before = { reports: reports.length, calls: h.standIn.allCalls.length };
    const again = await h.driver.command(cmd, { retryNum: 1 });
    expect(again.status).toBe(200);
    await h.app.idle();
    expect(reports.length).toBe(before.reports);
    expect(h.standIn.allCalls.length).toBe(before.calls);
    expect(h.standIn.ephemerals('U0RETRY')).toHaveLength(1);
  });

  it('App Home: published on app_home_opened (once, even when the event is redelivered) and after each run', async () => {
    const ev = h.standIn.appHomeOpened('U0HOME');
    await h.driver.event(ev);
    const home = await waitFor(() => h.standIn.homeViews.get('U0HOME'), 'the Home tab');
    await h.app.idle();
    const text = visibleText(home.view);
    expect(text).toMatch(/ws-doctor — WebSocket stack health/);
    expect(text).toMatch(/demo: Healthy/);
    expect(text).toMatch(/Recent checks/);
    const publishes = h.standIn.homeViews.get('U0HOME')?.publishes ?? 0;
    await h.driver.event(ev, { retryNum: 1 });
    await h.app.idle();
    expect(h.standIn.homeViews.get('U0HOME')?.publishes).toBe(publishes);

    backend.faults.set('redis-down', true);
    try {
      await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0HOME' }));
      await waitFor(() => /demo: Down/.test(visibleText(h.standIn.homeViews.get('U0HOME')?.view ?? {})), 'the board to show the new run');
      // "Run status" on the Home tab runs and republishes.
      backend.faults.set('redis-down', false);
      await h.driver.action(h.standIn.clickHome('U0HOME', { kind: 'rerun' }));
      await waitFor(() => /demo: Healthy/.test(visibleText(h.standIn.homeViews.get('U0HOME')?.view ?? {})), 'the board to recover');
    } finally {
      backend.faults.set('redis-down', false);
    }
  });

  it('honours 429 Retry-After from Slack and still delivers everything', async () => {
    h.standIn.rateLimit('response_url', 1, 2);
    const t0 = Date.now();
    await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0LIMIT' }));
    const m = await waitFor(() => h.standIn.ephemerals('U0LIMIT')[0], 'the answer despite 429s', 20000);
    await final(m, /Healthy/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const limited = h.standIn.responseUrlCalls.filter((c) => c.status === 429);
    expect(limited.length).toBe(2);
    expect(h.app.stats().rateLimited).toBeGreaterThanOrEqual(2);
  });
});
