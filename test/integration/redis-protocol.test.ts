/**
 * ioredis 6 speaks RESP3 unless told otherwise; the bot pins RESP2 (reasons in src/targets/redis.ts). Redis
 * itself reports which protocol each connection negotiated (`CLIENT INFO` → `resp=`), so this asks it.
 */
import { RedisTarget } from '../../src/targets/redis';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let target: RedisTarget;

beforeAll(async () => {
  redis = await startRedisServer();
  target = new RedisTarget({ url: redis.url });
});
afterAll(async () => {
  await target.close();
  await redis.stop();
});

test('check connections talk RESP2 and get RESP2 reply shapes', async () => {
  const c = target.client(2);
  const info = String(await c.call('CLIENT', 'INFO'));
  expect(info).toMatch(/\bresp=2\b/);
  expect(info).toMatch(/\bdb=2\b/);
  // A RESP3 map reply would come back as an object; RESP2 gives the flat array the checks expect.
  const cfg = await c.config('GET', 'maxmemory');
  expect(cfg).toEqual(['maxmemory', expect.any(String)]);
});
