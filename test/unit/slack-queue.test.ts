import {
  OutboundQueue,
  QueueFullError,
  ResponseUrlError,
  SlackCallError,
  classifyFailure,
  mergeCalls,
  type ApiResult,
  type Transport,
} from '../../src/slack/outbound-queue';

type Sent = { at: number; method: string; args: Record<string, unknown> };

/** A scripted transport: records calls; `behave` decides each answer. */
function fakeTransport(behave: (method: string, args: Record<string, unknown>, n: number) => Promise<ApiResult> | ApiResult = () => ({ ok: true })) {
  const sent: Sent[] = [];
  let n = 0;
  const t: Transport = {
    api: async (method, args) => {
      sent.push({ at: Date.now(), method, args });
      return behave(method, args, n++);
    },
    url: async (url, body) => {
      sent.push({ at: Date.now(), method: `url:${url}`, args: body });
      return behave(`url:${url}`, body, n++);
    },
  };
  return { t, sent };
}

const post = (lane: string, text: string) => ({ lane, call: { type: 'api' as const, method: 'chat.postMessage', args: { channel: lane, text } } });

describe('OutboundQueue', () => {
  it('paces each lane (burst, then one per interval) while other lanes proceed, keeping order', async () => {
    const { t, sent } = fakeTransport();
    const q = new OutboundQueue(t, { intervalMs: 100, burst: 2 });
    const t0 = Date.now();
    await Promise.all([...Array.from({ length: 5 }, (_, i) => q.enqueue(post('C1', `a${i}`))), q.enqueue(post('C2', 'b0'))]);
    const c1 = sent.filter((s) => s.args.channel === 'C1');
    expect(c1.map((s) => s.args.text)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    // 2 at once, then 3 more at ~100 ms spacing.
    expect((c1[4]?.at ?? 0) - t0).toBeGreaterThanOrEqual(280);
    expect((sent.find((s) => s.args.channel === 'C2')?.at ?? Infinity) - t0).toBeLessThan(50);
  });

  it('merges successive updates of one message: only the newest pending chat.update is sent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { t, sent } = fakeTransport(async (method) => {
      if (method === 'chat.postMessage') await gate;
      return { ok: true, ts: '1.1' };
    });
    const q = new OutboundQueue(t, { intervalMs: 1, burst: 10 });
    const first = q.enqueue(post('C1', 'placeholder'));
    const ups = [1, 2, 3].map((v) =>
      q.enqueue({ lane: 'C1', mergeKey: 'update:C1:1.1', call: { type: 'api', method: 'chat.update', args: { channel: 'C1', ts: '1.1', text: `v${v}` } } }),
    );
    await new Promise((r) => setTimeout(r, 20));
    release();
    await first;
    const results = await Promise.all(ups);
    const updates = sent.filter((s) => s.method === 'chat.update');
    expect(updates.map((u) => u.args.text)).toEqual(['v3']);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(q.stats().merged).toBe(2);
  });

  it('merging into a pending response_url create keeps it a create', () => {
    const merged = mergeCalls(
      { type: 'url', url: 'u', body: { text: 'checking', replace_original: false } },
      { type: 'url', url: 'u', body: { text: 'answer', replace_original: true } },
    );
    expect(merged).toEqual({ type: 'url', url: 'u', body: { text: 'answer', replace_original: false } });
  });

  it('honours 429 Retry-After, pausing the method in every lane, then sends', async () => {
    const { t, sent } = fakeTransport((_method, _a, n) => {
      if (n === 0) throw Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: 0.3 });
      return { ok: true };
    });
    const events: string[] = [];
    const q = new OutboundQueue(t, { intervalMs: 1, burst: 10, onEvent: (e) => events.push(e.type) });
    const t0 = Date.now();
    const a = q.enqueue(post('C1', 'first'));
    await new Promise((r) => setTimeout(r, 20));
    const b = q.enqueue(post('C2', 'other lane, same method'));
    await Promise.all([a, b]);
    expect(sent.map((s) => s.args.text)).toEqual(['first', 'first', 'other lane, same method']);
    expect((sent[1]?.at ?? 0) - t0).toBeGreaterThanOrEqual(290);
    expect((sent[2]?.at ?? 0) - t0).toBeGreaterThanOrEqual(290);
    expect(events).toContain('rate_limited');
  });

  it('retries transient errors with backoff, holding the lane so order is kept', async () => {
    const { t, sent } = fakeTransport((_m, args, n) => {
      if (n < 3) throw Object.assign(new Error('socket hang up'), { code: 'slack_webapi_request_error' });
      return { ok: true, text: args.text };
    });
    const q = new OutboundQueue(t, { intervalMs: 1, burst: 10, baseBackoffMs: 20 });
    const [a, b] = await Promise.all([q.enqueue(post('C1', 'one')), q.enqueue(post('C1', 'two'))]);
    expect(a.text).toBe('one');
    expect(b.text).toBe('two');
    expect(sent.map((s) => s.args.text)).toEqual(['one', 'one', 'one', 'one', 'two']);
    expect(q.stats().retried).toBe(3);
  });

  it('rejects permanent errors at once and moves on', async () => {
    const { t, sent } = fakeTransport((_m, args) => {
      if (args.text === 'bad') throw Object.assign(new Error('x'), { code: 'slack_webapi_platform_error', data: { error: 'invalid_blocks' } });
      return { ok: true };
    });
    const q = new OutboundQueue(t, { intervalMs: 1, burst: 10 });
    const bad = q.enqueue(post('C1', 'bad'));
    const good = q.enqueue(post('C1', 'good'));
    await expect(bad).rejects.toBeInstanceOf(SlackCallError);
    await expect(bad).rejects.toMatchObject({ error: 'invalid_blocks', attempts: 1 });
    await expect(good).resolves.toMatchObject({ ok: true });
    expect(sent).toHaveLength(2);
  });

  it('loses nothing while Slack is down for a while, and keeps per-lane order', async () => {
    const downUntil = Date.now() + 700;
    const { t, sent } = fakeTransport(() => {
      if (Date.now() < downUntil) throw new ResponseUrlError(503, 'service_unavailable');
      return { ok: true };
    });
    const q = new OutboundQueue(t, { intervalMs: 5, burst: 5, baseBackoffMs: 50, maxBackoffMs: 200 });
    const lanes = ['C1', 'C2', 'C3'];
    const all = lanes.flatMap((l) => Array.from({ length: 6 }, (_, i) => q.enqueue(post(l, `${l}-${i}`))));
    const results = await Promise.all(all);
    expect(results).toHaveLength(18);
    for (const l of lanes) {
      const delivered = sent.filter((s) => s.args.channel === l).map((s) => s.args.text);
      const unique = delivered.filter((x, i) => delivered.indexOf(x) === i);
      expect(unique).toEqual(Array.from({ length: 6 }, (_, i) => `${l}-${i}`));
    }
    expect(q.stats()).toMatchObject({ pending: 0, failed: 0, sent: 18 });
  });

  it('gives up on a transient failure after maxRetryMs', async () => {
    const { t } = fakeTransport(() => {
      throw new ResponseUrlError(502, undefined);
    });
    const q = new OutboundQueue(t, { intervalMs: 1, baseBackoffMs: 20, maxBackoffMs: 40, maxRetryMs: 150 });
    await expect(q.enqueue(post('C1', 'x'))).rejects.toMatchObject({ error: 'http_502' });
  });

  it('is bounded: beyond maxPending it refuses loudly instead of dropping what is queued', async () => {
    const { t } = fakeTransport(() => new Promise(() => undefined));
    const q = new OutboundQueue(t, { maxPending: 3 });
    const kept = [q.enqueue(post('C1', '1')), q.enqueue(post('C1', '2')), q.enqueue(post('C2', '3'))];
    await expect(q.enqueue(post('C3', '4'))).rejects.toBeInstanceOf(QueueFullError);
    expect(q.stats().pending).toBe(3);
    void kept;
  });

  it('redacts text, blocks and views before they leave', async () => {
    const { t, sent } = fakeTransport();
    const q = new OutboundQueue(t);
    await q.enqueue({
      lane: 'C1',
      call: {
        type: 'api',
        method: 'chat.postMessage',
        args: { channel: 'C1', text: 'leak xoxb-1234567890-abcdef', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'redis://:hunter2secret@redis:6379' } }] },
      },
    });
    const json = JSON.stringify(sent[0]?.args);
    expect(json).not.toContain('xoxb-1234567890');
    expect(json).not.toContain('hunter2secret');
    expect(sent[0]?.args.channel).toBe('C1');
  });
});

describe('classifyFailure', () => {
  it('sorts WebClient and fetch failures', () => {
    expect(classifyFailure({ code: 'slack_webapi_rate_limited_error', retryAfter: 3 })).toEqual({ kind: 'rate_limited', retryAfterMs: 3000, error: 'ratelimited' });
    expect(classifyFailure({ code: 'slack_webapi_request_error' }).kind).toBe('transient');
    expect(classifyFailure({ code: 'slack_webapi_http_error', statusCode: 503 }).kind).toBe('transient');
    expect(classifyFailure({ code: 'slack_webapi_http_error', statusCode: 404 }).kind).toBe('permanent');
    expect(classifyFailure({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }).kind).toBe('transient');
    expect(classifyFailure({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } })).toEqual({ kind: 'permanent', error: 'channel_not_found' });
    expect(classifyFailure(new ResponseUrlError(404, 'used_url'))).toEqual({ kind: 'permanent', error: 'used_url' });
    expect(classifyFailure(new ResponseUrlError(429, 'ratelimited', 2000))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    expect(classifyFailure(new TypeError('fetch failed')).kind).toBe('transient');
  });
});
