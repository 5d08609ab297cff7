/** The real Redis peer for tests: its own redis-server on its own port, stopped by pid. */
export { startRedisServer, type RedisProcess } from '../../src/demo/redis-process';
