/**
 * The key remediations against a real redis-server: flush removes exactly the token keys of the cache DB
 * (other keys of DB 2, Celery's DB 0, the channel layer's DB 3 and the fallback DB 4 untouched), the preview
 * counts them with redacted samples, counters and conversation locks are deleted only while they hold the
 * values previewed.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { environmentSchema } from '../../src/config/schema';
import { clearLeakedCounters } from '../../src/remediations/actions/clear-leaked-counters';
import { flushConnectionTokens } from '../../src/remediations/actions/flush-connection-tokens';
import { freeConversationLock } from '../../src/remediations/actions/free-conversation-lock';
import { countMatching, unlinkMatching } from '../../src/remediations/primitives/redis-keys';
import type { ActionContext } from '../../src/remediations/types';
import { buildTargets } from '../../src/targets/build';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let ctx: ActionContext;
const raw: Redis[] = [];
const db = (n: number): Redis => {
  const c = new Redis(redis.url, { db: n });
  raw.push(c);
  return c;
};
const token = (): string => randomBytes(32).toString('base64url');
const noProgress = (): void => undefined;

beforeAll(async () => {
  redis = await startRedisServer();
  const env = environmentSchema.parse({ redis: { url: redis.url }, docker: { enabled: false } });
  ctx = { envName: 'test', env, targets: buildTargets('test', env), signal: new AbortController().signal };
});

afterAll(async () => {
  await ctx.targets.close();
  for (const c of raw) c.disconnect();
  await redis.stop();
});

test('flush: exactly the token keys of DB 2; everything else, and DB 0/3/4, untouched', async () => {
  const cache = db(2);
  const tokens = Array.from({ length: 2500 }, () => `allthrive:1:ws_conn_token:${token()}`);
  const others = [
    'allthrive:1:_ws_token_health_check',
    'allthrive:1:session:version:7',
    'allthrive:1:ws_connections:user:7',
    'throttle_user_7',
    'ava:lock:conv-1',
    // Near misses: another prefix, another version, a key that only contains the word.
    'otherapp:1:ws_conn_token:abc',
    'allthrive:2:ws_conn_token:abc',
    'x:allthrive:1:ws_conn_token:abc',
  ];
  for (let i = 0; i < tokens.length; i += 500) await cache.mset(...tokens.slice(i, i + 500).flatMap((k) => [k, 'pickle']));
  await cache.mset(...others.flatMap((k) => [k, '1']));
  await db(0).rpush('celery', 'task-1', 'task-2');
  await db(0).set('allthrive:1:ws_conn_token:in-broker', '1');
  await db(3).zadd('asgi:group:chat_1', 1, 'specific.a!b');
  await db(4).set('allthrive:1:ws_conn_token:in-fallback', '1');

  const preview = await flushConnectionTokens.preview(ctx, {});
  expect(preview.actionable).toBe(true);
  expect(preview.items[0]?.label).toBe('db 2 · allthrive:1:ws_conn_token:*');
  expect(preview.items[0]?.detail).toMatch(/^2500 keys, e\.g\. allthrive:1:ws_conn_token:\[REDACTED\]/);
  expect(JSON.stringify(preview)).not.toContain(tokens[0]?.split(':').pop());
  expect(preview.touches).toEqual(['keys:db2:allthrive:1:ws_conn_token:*:~1e3']);

  const steps: string[] = [];
  const r = await flushConnectionTokens.execute(ctx, {}, (s) => steps.push(s.step), preview);
  expect(r).toMatchObject({ ok: true, facts: { db: 2, unlinked: 2500, via: 'script' } });
  expect((await cache.keys('*')).sort()).toEqual([...others].sort());
  expect(await db(0).lrange('celery', 0, -1)).toEqual(['task-1', 'task-2']);
  expect(await db(0).exists('allthrive:1:ws_conn_token:in-broker')).toBe(1);
  expect(await db(3).zcard('asgi:group:chat_1')).toBe(1);
  expect(await db(4).exists('allthrive:1:ws_conn_token:in-fallback')).toBe(1);

  const again = await flushConnectionTokens.preview(ctx, {});
  expect(again).toMatchObject({ actionable: false, summary: expect.stringMatching(/nothing to flush/) });
});

test('flush preview names Redis being down instead of throwing', async () => {
  const env = environmentSchema.parse({ redis: { url: 'redis://127.0.0.1:9', commandTimeoutMs: 500 }, docker: { enabled: false } });
  const t = buildTargets('down', env);
  try {
    const p = await flushConnectionTokens.preview({ envName: 'down', env, targets: t, signal: new AbortController().signal }, {});
    expect(p).toMatchObject({ actionable: false, summary: expect.stringMatching(/Redis did not answer \(.*ECONNREFUSED/) });
  } finally {
    await t.close();
  }
});

test("clear-leaked-counters: one user's two keys, only while they hold the previewed values", async () => {
  const cache = db(2);
  await cache.set('allthrive:1:ws_connections:user:42', '7', 'EX', 86400);
  await cache.set('allthrive:1:ws_rate:user:42', '3', 'EX', 60);
  await cache.set('allthrive:1:ws_connections:user:43', '9');
  const args = clearLeakedCounters.argsSchema.parse({ user: '42' });
  const p = await clearLeakedCounters.preview(ctx, args);
  expect(p.actionable).toBe(true);
  expect(p.items.map((i) => i.detail)).toEqual([expect.stringMatching(/^value 7, TTL /), expect.stringMatching(/^value 3, TTL /)]);
  expect(p.warning).toBeUndefined();

  const r = await clearLeakedCounters.execute(ctx, args, noProgress, p);
  expect(r).toMatchObject({ ok: true, facts: { deleted: 2 } });
  expect(await cache.exists('allthrive:1:ws_connections:user:42', 'allthrive:1:ws_rate:user:42')).toBe(0);
  expect(await cache.get('allthrive:1:ws_connections:user:43')).toBe('9');

  // Changed since the preview (the user connected again): left alone.
  await cache.set('allthrive:1:ws_connections:user:43', '9');
  const p43 = await clearLeakedCounters.preview(ctx, { user: '43' });
  await cache.set('allthrive:1:ws_connections:user:43', '1');
  const r43 = await clearLeakedCounters.execute(ctx, { user: '43' }, noProgress, p43);
  expect(r43.facts.deleted).toBe(0);
  expect(await cache.get('allthrive:1:ws_connections:user:43')).toBe('1');

  expect(clearLeakedCounters.argsSchema.safeParse({ user: '4*' }).success).toBe(false);
});

test('free-conversation-lock: the raw unprefixed key, only while the same holder has it', async () => {
  const cache = db(2);
  await cache.set('ava:lock:conv-9', 'task-a', 'EX', 120);
  await cache.set('allthrive:1:ava:lock:conv-9', 'prefixed');
  const p = await freeConversationLock.preview(ctx, { conversation: 'conv-9' });
  expect(p).toMatchObject({ actionable: true, summary: 'Delete lock ava:lock:conv-9 in DB 2' });
  expect(p.items[0]?.detail).toMatch(/^value sha1 [0-9a-f]{8}, TTL /);

  // Another task took the lock after the preview: not deleted.
  await cache.set('ava:lock:conv-9', 'task-b', 'EX', 120);
  const stale = await freeConversationLock.execute(ctx, { conversation: 'conv-9' }, noProgress, p);
  expect(stale).toMatchObject({ ok: false, error: 'lock changed hands' });
  expect(await cache.get('ava:lock:conv-9')).toBe('task-b');

  const fresh = await freeConversationLock.preview(ctx, { conversation: 'conv-9' });
  expect(fresh.touches).not.toEqual(p.touches);
  const ok = await freeConversationLock.execute(ctx, { conversation: 'conv-9' }, noProgress, fresh);
  expect(ok.ok).toBe(true);
  expect(await cache.exists('ava:lock:conv-9')).toBe(0);
  expect(await cache.get('allthrive:1:ava:lock:conv-9')).toBe('prefixed');

  expect(freeConversationLock.argsSchema.safeParse({ conversation: 'a*' }).success).toBe(false);
  expect((await freeConversationLock.preview(ctx, { conversation: 'conv-9' })).actionable).toBe(false);
});

test('the flush walk pauses between bursts (Redis idle part of the time) and stops cleanly when aborted mid-walk', async () => {
  const c = db(5);
  await c.flushdb();
  const fill = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await c.mset(...Array.from({ length: 1000 }, () => [`allthrive:1:ws_conn_token:${token()}`, 'x', `allthrive:1:other:${token()}`, 'y']).flat());
  };
  await fill();
  // Bursts of 1 ms, pauses of 40 ms: the walk of ~40 batches must contain pauses (a lower bound: a slow
  // machine only makes it longer), and still remove exactly the 20 000 tokens.
  let batches = 0;
  const paced = await unlinkMatching(c, 'allthrive:1:ws_conn_token:*', { burstMs: 1, pauseMs: 40, onProgress: (p) => (batches = p.batches) });
  expect(paced).toMatchObject({ unlinked: 20_000, complete: true });
  expect(batches).toBeGreaterThan(10);
  expect(paced.durationMs).toBeGreaterThanOrEqual(40);
  expect(await c.dbsize()).toBe(20_000);

  // Aborted mid-walk: it returns incomplete (nothing thrown), what it unlinked is gone, the rest is there.
  await c.flushdb();
  await fill();
  const ac = new AbortController();
  const partial = await unlinkMatching(c, 'allthrive:1:ws_conn_token:*', {
    burstMs: 1,
    pauseMs: 20,
    signal: ac.signal,
    onProgress: (p) => {
      if (p.batches >= 3) ac.abort();
    },
  });
  expect(partial.complete).toBe(false);
  expect(partial.unlinked).toBeGreaterThan(0);
  expect(partial.unlinked).toBeLessThan(20_000);
  expect(await c.dbsize()).toBe(40_000 - partial.unlinked);
  await c.flushdb();
});

test('flush on a server that refuses scripts: SCAN + UNLINK from the client, the same keys removed; both paths binary-safe', async () => {
  // A Redis user without @scripting (an ACL as a managed Redis may set): EVALSHA answers NOPERM.
  const admin = db(0);
  await admin.call('ACL', 'SETUSER', 'no-scripts', 'on', '>pw', '~*', '+@all', '-@scripting');
  const limited = new Redis(redis.url, { db: 6, username: 'no-scripts', password: 'pw' });
  raw.push(limited);
  const c = db(6);
  // A token-shaped name that is not valid UTF-8: read back as a string it would be mangled and never unlinked.
  const binary = Buffer.concat([Buffer.from('allthrive:1:ws_conn_token:'), Buffer.from([0xff, 0xfe, 0x80])]);
  const fill = async (): Promise<void> => {
    await c.flushdb();
    await c.mset(...Array.from({ length: 3000 }, (_, i) => [`allthrive:1:ws_conn_token:${token()}`, 'x', `allthrive:1:other:${i}`, 'y']).flat());
    await c.set(binary, 'x');
  };

  await fill();
  // The preview's count takes the same fallback, and both paths count the same.
  const counted = await countMatching(limited, 'allthrive:1:ws_conn_token:*');
  expect(counted).toMatchObject({ count: 3001, complete: true });
  expect(counted.samples).toHaveLength(3);
  expect(counted.samples.every((x) => x.startsWith('allthrive:1:ws_conn_token:') && !/[A-Za-z0-9_-]{43}/.test(x))).toBe(true);
  expect(await countMatching(c, 'allthrive:1:ws_conn_token:*')).toMatchObject({ count: 3001, complete: true });
  await expect(countMatching(limited, 'allthrive:1:ws_conn_token:*', { via: 'script' })).rejects.toThrow(/NOPERM/);
  const byClient = await unlinkMatching(limited, 'allthrive:1:ws_conn_token:*');
  expect(byClient).toMatchObject({ via: 'client', unlinked: 3001, complete: true, scriptRefused: expect.stringMatching(/^NOPERM/) });
  expect(await c.dbsize()).toBe(3000);
  expect(await c.exists(binary)).toBe(0);
  // Forced to the script path, the refusal is an error, not a silent fallback.
  await fill();
  await expect(unlinkMatching(limited, 'allthrive:1:ws_conn_token:*', { via: 'script' })).rejects.toThrow(/NOPERM/);
  expect(await c.dbsize()).toBe(6001);

  const byScript = await unlinkMatching(c, 'allthrive:1:ws_conn_token:*');
  expect(byScript).toMatchObject({ via: 'script', unlinked: 3001, complete: true });
  expect(byScript.scriptRefused).toBeUndefined();
  expect(await c.dbsize()).toBe(3000);
  expect(await c.exists(binary)).toBe(0);
  // Each script call examines at most 3 × 500 slots: the ~6000-key DB takes several calls, not one.
  expect(byScript.batches).toBeGreaterThan(1);
  await c.flushdb();
  // Deleting the user drops its connection, and ioredis would retry it: close it first.
  limited.disconnect();
  await admin.call('ACL', 'DELUSER', 'no-scripts');
});
