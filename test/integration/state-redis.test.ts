/**
 * The StateStore contract on the shared store: a real redis-server (append-only persistence, as a production
 * state Redis should run), shared with a second process, restarted on the same data folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/util/net';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { stateStoreContract } from '../support/state-contract';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-state-redis-'));
let redis: RedisProcess;
let deadPort: number;
let n = 0;

beforeAll(async () => {
  redis = await startRedisServer({ dataDir });
  deadPort = await freePort();
});

afterAll(async () => {
  await redis?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

stateStoreContract('shared Redis', {
  // Each test its own DB-1 key prefix: the same server, no test sees another's keys.
  fresh: () => ({ kind: 'redis', url: `redis://127.0.0.1:${redis.port}/1`, keyPrefix: `t${++n}-${process.pid}:` }),
  restartBacking: async () => {
    const port = redis.port;
    await redis.stop();
    redis = await startRedisServer({ port, dataDir });
  },
  // Nothing listens there: connection refused.
  unreachable: () => ({ kind: 'redis', url: `redis://127.0.0.1:${deadPort}/1` }),
});
