/**
 * Runs the demo stack (own redis-server + demo backend) in its own process, as a real stack would be, so the
 * benchmarks do not share an event loop with it. Prints one JSON line {url, wsUrl, redisUrl}; stops on SIGTERM.
 */
import { startRedisServer } from '../src/demo/redis-process';
import { startDemoBackend } from '../src/demo/index';

async function main(): Promise<void> {
  const redis = await startRedisServer();
  // The guide's script logs in like a person; lift the login limit and DRF's throttles (anon 100/min would answer
  // db/health with 429 after ~100 runs of either side: a bench measures a healthy stack, not a throttled one).
  const backend = await startDemoBackend({ redisUrl: redis.url, debug: true, loginRatePerMinute: 100000, drfRatesPerMinute: { anon: 100000, user: 100000 } });
  process.stdout.write(JSON.stringify({ url: backend.url, wsUrl: backend.wsUrl, redisUrl: redis.url, port: backend.port }) + '\n');
  const stop = async (): Promise<void> => {
    await backend.stop();
    await redis.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main();
