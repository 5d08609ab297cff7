/**
 * The thin clients of what is watched, built once per environment and shared by every check and run, so a
 * status run reuses connections and the login cookie instead of paying for them each time.
 *
 * Each member is owned by its own file in this folder; this file only gathers them.
 */
import type Redis from 'ioredis';
import type { EnvConfig } from '../config/schema';

export interface Targets {
  readonly envName: string;
  readonly env: EnvConfig;
  /** One ioredis client per logical DB, created lazily, never retrying forever (a check must not hang). */
  redis(db: number): Redis;
  /** Close every client this environment opened. */
  close(): Promise<void>;
}
