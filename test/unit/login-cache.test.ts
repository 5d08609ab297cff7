/**
 * The probe login kept between processes (targets/session.ts LoginCache, core/login-cache.ts): what is adopted,
 * what is ignored, what is dropped, and when a refused JWT is worth one fresh login. The whole-process behaviour
 * (real store, real demo stack) is in test/chaos/login-cache.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loginCacheKey, stateLoginCache } from '../../src/core/login-cache';
import { MemoryStateStore } from '../../src/state/memory-store';
import { refusesJwt } from '../../src/targets/connection-token';
import { HttpTarget } from '../../src/targets/http';
import { ProbeSession, type CachedLogin, type LoginCache } from '../../src/targets/session';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2ln';

function memoryCache(initial?: CachedLogin): LoginCache & { value: CachedLogin | undefined; drops: number } {
  const c = {
    value: initial,
    drops: 0,
    load: async () => c.value,
    save: async (l: CachedLogin) => {
      c.value = l;
    },
    drop: async () => {
      c.value = undefined;
      c.drops++;
    },
  };
  return c;
}

let server: http.Server;
let base: string;
let logins = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    logins++;
    res.setHeader('Set-Cookie', [`access_token=fresh.jwt.${logins}; Max-Age=900; Path=/`]);
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const session = (cache: LoginCache, now: () => number, reuse = 840) =>
  new ProbeSession({ http: new HttpTarget({ baseUrl: base, timeoutMs: 2000 }), loginPath: '/login/', email: 'e', password: 'p', cookieReuseSeconds: reuse, loginPerMinute: 5, cache, now });

test('a kept login inside its window is used without a login, with the identity it was kept with', async () => {
  const now = 1_000_000;
  const cache = memoryCache({ jwt: JWT, loggedInAt: now - 60_000, validUntil: now + 600_000, userId: 7 });
  const s = session(cache, () => now);
  const before = logins;
  expect(await s.accessToken()).toEqual({ kind: 'ok', jwt: JWT, cached: true });
  expect(logins).toBe(before);
  expect(s.identity.userId).toBe(7);
});

test('a kept login past a since-shortened reuse window, from the future or malformed is ignored: one fresh login, kept', async () => {
  const now = 1_000_000;
  for (const kept of [
    { jwt: JWT, loggedInAt: now - 120_000, validUntil: now + 600_000 }, // reuse is 60 s now
    { jwt: JWT, loggedInAt: now + 60_000, validUntil: now + 600_000 },
    { jwt: 'not a jwt', loggedInAt: now, validUntil: now + 600_000 },
    { jwt: JWT, loggedInAt: 'x', validUntil: now + 600_000 } as unknown as CachedLogin,
  ]) {
    const cache = memoryCache(kept);
    const r = await session(cache, () => now, 60).accessToken();
    expect(r).toMatchObject({ kind: 'ok', cached: false });
    expect(cache.value?.jwt).toMatch(/^fresh\.jwt\.\d+$/);
    expect(cache.value?.validUntil).toBe(now + 60_000);
  }
});

test('invalidate drops the kept login too; a store that fails only costs a login', async () => {
  const cache = memoryCache({ jwt: JWT, loggedInAt: 1, validUntil: 2_000_000 });
  const s = session(cache, () => 1_000);
  await s.accessToken();
  s.invalidate();
  await new Promise((r) => setImmediate(r));
  expect(cache.drops).toBe(1);
  expect(cache.value).toBeUndefined();
  const broken: LoginCache = { load: () => Promise.reject(new Error('store down')), save: () => Promise.reject(new Error('x')), drop: () => Promise.reject(new Error('x')) };
  expect(await session(broken, () => 1_000).accessToken()).toMatchObject({ kind: 'ok', cached: false });
});

test('the state-store cache keeps it with its expiry, keyed by backend URL and user', async () => {
  let now = 1_000;
  const store = new MemoryStateStore(() => now);
  const key = loginCacheKey('prod', 'https://a.example', 'bot@example.com');
  expect(key).not.toBe(loginCacheKey('prod', 'https://b.example', 'bot@example.com'));
  expect(key).not.toBe(loginCacheKey('prod', 'https://a.example', 'other@example.com'));
  expect(key).not.toContain('a.example');
  const c = stateLoginCache(store, key, () => now);
  await c.save({ jwt: JWT, loggedInAt: now, validUntil: now + 5_000 });
  expect((await c.load())?.jwt).toBe(JWT);
  now += 5_001;
  expect(await c.load()).toBeUndefined();
});

test('which refusals earn one fresh login', () => {
  const notValid = JSON.stringify({ code: 'token_not_valid' });
  expect(refusesJwt(401, notValid, false)).toBe(true);
  expect(refusesJwt(401, '{}', false)).toBe(false);
  expect(refusesJwt(403, '{}', false)).toBe(false);
  expect(refusesJwt(401, '{}', true)).toBe(true);
  expect(refusesJwt(403, '{}', true)).toBe(true);
  expect(refusesJwt(500, '{}', true)).toBe(false);
});
