/**
 * Opens the StateStore the config asks for (`state.store`): the embedded SQLite file in `stateDir` by default,
 * the shared Redis for replicas. Opening never fails here: a store that cannot be reached rejects its calls
 * with StateStoreError, which callers turn into a finding about the bot.
 */
import path from 'node:path';
import type { Config } from '../config/schema';
import { SQLITE_FILE, SqliteStore } from './sqlite-store';
import type { StateStore } from './store';

export interface OpenStateOptions {
  /** Overrides config.stateDir for the embedded store; `null` keeps it in memory (tests, `demo --once`). */
  stateDir?: string | null;
}

export function openStateStore(config: Pick<Config, 'state' | 'stateDir'>, opts: OpenStateOptions = {}): StateStore {
  if (config.state.store === 'redis') {
    // Loaded only when configured: embedded users never load the Redis store's code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RedisStore } = require('./redis-store') as typeof import('./redis-store');
    const r = config.state.redis;
    return new RedisStore({
      url: r.url ?? '',
      keyPrefix: r.keyPrefix,
      commandTimeoutMs: r.commandTimeoutMs,
      ...(process.env.WS_DOCTOR_STATE_REDIS_PASSWORD ? { password: process.env.WS_DOCTOR_STATE_REDIS_PASSWORD } : {}),
    });
  }
  const dir = opts.stateDir === undefined ? config.stateDir : opts.stateDir;
  return new SqliteStore({ file: dir === null ? ':memory:' : path.join(dir, SQLITE_FILE) });
}
