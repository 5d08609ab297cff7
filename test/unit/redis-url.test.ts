import { redisUrlWithPassword } from '../../src/util/redis-url';

test('an ACL user in the URL gets the configured password (ioredis would otherwise send an empty one)', () => {
  const out = redisUrlWithPassword('redis://doctor@10.0.0.5:6380', 'p@ss:w/rd%41 ü');
  const u = new URL(out);
  expect([u.username, u.hostname, u.port]).toEqual(['doctor', '10.0.0.5', '6380']);
  expect(decodeURIComponent(u.password)).toBe('p@ss:w/rd%41 ü');
});

test('an explicit password wins over one already in the URL; TLS scheme kept', () => {
  const u = new URL(redisUrlWithPassword('rediss://doctor:old@cache.internal:6379', 'new'));
  expect([u.protocol, u.password]).toEqual(['rediss:', 'new']);
});

test('no user in the URL, or no password configured: the URL is left as it is', () => {
  expect(redisUrlWithPassword('redis://127.0.0.1:6379', 'pw')).toBe('redis://127.0.0.1:6379');
  expect(redisUrlWithPassword('redis://doctor@127.0.0.1:6379', undefined)).toBe('redis://doctor@127.0.0.1:6379');
});
