/**
 * Key primitives for remediations on the watched Redis: count and sample the keys a pattern matches, and
 * delete them. Always `SCAN` + `UNLINK` in bounded batches, never `KEYS` (it blocks every client of the
 * server for the whole walk) and never `FLUSHDB` (the guide's FLUSHDB on DB 0 wipes Celery's queue).
 *
 * The flush keeps the server responsive: each SCAN examines `scanCount` slots (well under a millisecond of
 * server time), the UNLINK of one batch is pipelined behind the next SCAN on the same connection (one round
 * trip per batch instead of two) with at most `maxInFlight` queued, and the walk pauses between short bursts
 * so the server is idle part of the time (see FlushOptions): no other client ever waits long behind it.
 */
import type Redis from 'ioredis';
import { redact } from '../../telemetry/redact';

export interface KeyCount {
  count: number;
  /** A few matching key names, redacted (a token key shows as `…ws_conn_token:[REDACTED]`). */
  samples: string[];
  /** False when the walk stopped at `maxExamined` or the deadline: `count` is then a lower bound. */
  complete: boolean;
  durationMs: number;
}

export interface CountOptions {
  samples?: number;
  /** Stop after this many slots examined (a bound for huge databases). Default 5 000 000. */
  maxExamined?: number;
  deadlineMs?: number;
  scanCount?: number;
  signal?: AbortSignal;
}

export async function countMatching(client: Redis, pattern: string, opts: CountOptions = {}): Promise<KeyCount> {
  const t0 = Date.now();
  const want = opts.samples ?? 3;
  const scanCount = opts.scanCount ?? 1000;
  const maxExamined = opts.maxExamined ?? 5_000_000;
  const deadline = t0 + (opts.deadlineMs ?? 10_000);
  const samples: string[] = [];
  const seen = new Set<string>();
  let count = 0;
  let examined = 0;
  let cursor = '0';
  do {
    if (opts.signal?.aborted || Date.now() > deadline || examined >= maxExamined) {
      return { count, samples, complete: false, durationMs: Date.now() - t0 };
    }
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount);
    cursor = next;
    examined += scanCount;
    // SCAN may return a key twice (rehashing); count distinct names only while the set stays small,
    // and accept the documented at-least-once semantics beyond that.
    for (const k of batch) {
      if (seen.size < 100_000) {
        if (seen.has(k)) continue;
        seen.add(k);
      }
      count++;
      if (samples.length < want) samples.push(redact(k));
    }
  } while (cursor !== '0');
  return { count, samples, complete: true, durationMs: Date.now() - t0 };
}

export interface FlushOptions {
  /** Slots examined per SCAN (about 500 µs of server time on a large DB). Default 1000. */
  scanCount?: number;
  /**
   * UNLINK commands allowed in flight at once, pipelined behind the SCANs. Redis runs one connection's
   * pipelined commands back to back, so this bounds how long another client's command can queue behind the
   * flush: one SCAN and this many UNLINKs of ~500 small keys. Default 4 (about 2 ms at most).
   */
  maxInFlight?: number;
  /**
   * Pacing: after the flush has kept Redis busy for `burstMs`, it pauses `pauseMs` with nothing in flight.
   * A server that is never idle is the first to lose its CPU on a busy host, and then *every* client waits a
   * scheduler slice (that, not the queue, made another client's p99 18.9 ms at 8 in flight and no pause under
   * load); a server idle a third of the time keeps its wake-up priority and answers others at once. The walk
   * gets slower by about that third, far inside its budget (bench/flush.ts). Off by default (pauseMs 0): paired
   * on a quiet 2-core box (npm run bench -- flush, 1 M of 2 M keys), 4 in flight and no pause gave p99 4.3–4.5 ms
   * and 6.6–6.7 s, against 6.3 ms and 8.8–11.5 s for 2 in flight with 6/3 ms pacing. Turn it on for a watched
   * Redis that shares a saturated host.
   */
  burstMs?: number;
  pauseMs?: number;
  signal?: AbortSignal;
  /** Called after each batch with running totals (progress in the same message). */
  onProgress?: (p: { scanned: number; unlinked: number; batches: number }) => void;
}

export interface FlushResult {
  /** Matching names returned by SCAN (may count a key twice; SCAN is at-least-once). */
  matched: number;
  /** Keys really removed (sum of UNLINK replies: a duplicate or an expired key counts 0). */
  unlinked: number;
  batches: number;
  complete: boolean;
  durationMs: number;
}

export async function unlinkMatching(client: Redis, pattern: string, opts: FlushOptions = {}): Promise<FlushResult> {
  const t0 = Date.now();
  const scanCount = opts.scanCount ?? 1000;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  const burstMs = opts.burstMs ?? 6;
  const pauseMs = opts.pauseMs ?? 0;
  const inFlight = new Set<Promise<void>>();
  let matched = 0;
  let unlinked = 0;
  let batches = 0;
  let cursor = '0';
  let failure: unknown;
  let burstStart = performance.now();
  do {
    if (opts.signal?.aborted || failure) break;
    if (burstMs > 0 && pauseMs > 0 && performance.now() - burstStart >= burstMs) {
      // Let the server go idle: wait for what is in flight, then pause with nothing queued.
      await Promise.all(inFlight);
      await new Promise((r) => setTimeout(r, pauseMs));
      burstStart = performance.now();
    }
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount);
    cursor = next;
    if (keys.length > 0) {
      matched += keys.length;
      batches++;
      const p: Promise<void> = client
        .unlink(...keys)
        .then((n) => {
          unlinked += n;
        })
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      opts.onProgress?.({ scanned: matched, unlinked, batches });
    }
  } while (cursor !== '0');
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { matched, unlinked, batches, complete: cursor === '0', durationMs: Date.now() - t0 };
}
