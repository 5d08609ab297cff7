/**
 * A Lua script run by SHA (EVALSHA: the body crosses the wire once per server, not on every call), loaded on
 * first use, or again after a server restart or SCRIPT FLUSH, by running it in full once (EVAL caches it).
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export class RedisScript {
  readonly sha: string;
  constructor(
    readonly lua: string,
    /** How many of the arguments are key names (KEYS[]); the rest are ARGV[]. */
    readonly keys: number,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(c: Redis, args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      return await c.evalsha(this.sha, this.keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return await c.eval(this.lua, this.keys, ...args);
    }
  }
}
