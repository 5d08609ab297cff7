/**
 * Bounded SCAN for checks: never `KEYS` (it blocks the server the whole stack shares), never an unbounded walk.
 * Stops after about `limit` keys examined or when the signal aborts, and says whether the walk was complete.
 */
import type Redis from 'ioredis';

export interface ScanResult {
  keys: string[];
  complete: boolean;
}

/** Escape Redis glob metacharacters in a literal prefix. */
export function globEscape(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function scanKeys(client: Redis, pattern: string, limit: number, signal: AbortSignal, count = 500): Promise<ScanResult> {
  const keys: string[] = [];
  let cursor = '0';
  let examined = 0;
  do {
    if (signal.aborted) return { keys, complete: false };
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    examined += count;
    for (const k of batch) if (keys.length < limit) keys.push(k);
    if ((examined >= limit || keys.length >= limit) && cursor !== '0') return { keys, complete: false };
  } while (cursor !== '0');
  return { keys, complete: true };
}
