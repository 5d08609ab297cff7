/**
 * Key primitives for remediations on the watched Redis: count and sample the keys a pattern matches, and
 * delete them. Always `SCAN` + `UNLINK` in bounded batches, never `KEYS` (it blocks every client of the
 * server for the whole walk) and never `FLUSHDB` (the guide's FLUSHDB on DB 0 wipes Celery's queue).
 *
 * The flush keeps the server responsive: it walks in small server calls (a Lua script doing three SCANs of 500
 * slots and the UNLINK of what they matched, about 2 ms), other clients are served between them, and
 * it can pause between short bursts so the server is idle part of the time (see FlushOptions). Where the
 * server takes no scripts, SCAN and pipelined UNLINKs from here do the same walk.
 */
import type Redis from 'ioredis';
import { redact } from '../../telemetry/redact';
import { RedisScript } from '../../util/redis-script';

/**
 * Why the server refused the script, when `err` means "this server takes no scripts": only an error the server
 * answered (a ReplyError — a connection error would fail the client path the same way), only on the very first
 * call (after that, a failure is a failure), and only when the script path was not asked for by name.
 */
function scriptRefusal(err: unknown, via: 'auto' | 'script' | 'client' | undefined, firstCall: boolean): string | undefined {
  if (via === 'script' || !firstCall || !(err instanceof Error) || err.name !== 'ReplyError') return undefined;
  return err.message.split('\n')[0]!.slice(0, 200);
}

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
  /** Slots per SCAN. Default 1000 (the script path runs 2 per call). */
  scanCount?: number;
  /** As for the flush: `auto` counts on the server (names never cross the wire) unless it refuses scripts. */
  via?: 'auto' | 'script' | 'client';
  signal?: AbortSignal;
}

// ARGV: cursor, MATCH pattern, COUNT per SCAN, SCANs at most, samples wanted. Returns {cursor, matched, samples}.
const SCAN_COUNT = new RedisScript(
  `local cursor = ARGV[1]
   local matched, want, samples = 0, tonumber(ARGV[5]), {}
   for _ = 1, tonumber(ARGV[4]) do
     local r = redis.call('SCAN', cursor, 'MATCH', ARGV[2], 'COUNT', ARGV[3])
     cursor = r[1]
     matched = matched + #r[2]
     for i = 1, math.min(#r[2], want - #samples) do samples[#samples + 1] = r[2][i] end
     if cursor == '0' then break end
   end
   return {cursor, matched, samples}`,
  0,
);

/** Count steps: one server call (script) or one SCAN (client), each returning the next cursor. */
type CountStep = (cursor: string, want: number) => Promise<{ cursor: string; matched: number; names: string[]; examined: number }>;

const countByScript =
  (client: Redis, pattern: string, scanCount: number): CountStep =>
  async (cursor, want) => {
    const scans = 2;
    const [next, matched, names] = (await SCAN_COUNT.run(client, [cursor, pattern, scanCount, scans, want])) as [string, number, string[]];
    return { cursor: next, matched, names, examined: scanCount * scans };
  };

const countByClient =
  (client: Redis, pattern: string, scanCount: number): CountStep =>
  async (cursor) => {
    const [next, names] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount);
    return { cursor: next, matched: names.length, names, examined: scanCount };
  };

/**
 * Counts the keys matching `pattern` (SCAN is at-least-once: a key met twice while the server rehashes counts
 * twice — a preview's order of magnitude does not care) and keeps a few redacted names as samples.
 */
export async function countMatching(client: Redis, pattern: string, opts: CountOptions = {}): Promise<KeyCount> {
  const t0 = Date.now();
  const want = opts.samples ?? 3;
  const scanCount = opts.scanCount ?? 1000;
  const maxExamined = opts.maxExamined ?? 5_000_000;
  const deadline = t0 + (opts.deadlineMs ?? 10_000);
  const samples: string[] = [];
  let step = opts.via === 'client' ? countByClient(client, pattern, scanCount) : countByScript(client, pattern, scanCount);
  let first = opts.via !== 'client';
  let count = 0;
  let examined = 0;
  let cursor = '0';
  for (;;) {
    if (opts.signal?.aborted || Date.now() > deadline || examined >= maxExamined) {
      return { count, samples, complete: false, durationMs: Date.now() - t0 };
    }
    let r: Awaited<ReturnType<CountStep>>;
    try {
      r = await step(cursor, want - samples.length);
    } catch (err) {
      if (!scriptRefusal(err, opts.via, first)) throw err;
      step = countByClient(client, pattern, scanCount);
      first = false;
      continue;
    }
    first = false;
    cursor = r.cursor;
    examined += r.examined;
    count += r.matched;
    for (const k of r.names) if (samples.length < want) samples.push(redact(k));
    if (cursor === '0') return { count, samples, complete: true, durationMs: Date.now() - t0 };
  }
}

export interface FlushOptions {
  /**
   * Slots examined per SCAN. Default 500 on the script path (3 per call), 1000 on the client path (one round
   * trip each). About 1.5 µs of server time per slot on a 2M-key DB, SCAN and UNLINK together.
   */
  scanCount?: number;
  /**
   * How the walk runs:
   * - `script`: each server call is one Lua script (EVALSHA) that runs up to `scansPerCall` SCANs and UNLINKs
   *   what they match, on the server. The key names never cross the wire (no reply of 500 names, no 500-argument
   *   command to parse), and the walk takes a third less time (bench/flush.ts, 1 M of 2 M keys: 4.6 → 3.1 s); other
   *   clients are served between calls, and one call blocks the server for at most `scansPerCall × scanCount`
   *   slots (~2 ms at the defaults: 1,500 slots measured the best trade, bench/flush.ts — fewer per call pay
   *   more round trips, more per call make another client's p99 climb past 4 ms).
   * - `client`: SCAN from here and pipelined UNLINKs of what it returned (`maxInFlight`), for a server that
   *   refuses scripts (an ACL without `@scripting`, a managed Redis with EVAL disabled, a pre-5 Redis that
   *   refuses writes after SCAN in a script).
   * - `auto` (default): `script`, and `client` from where it stands when the server answers the first script
   *   call with an error.
   */
  via?: 'auto' | 'script' | 'client';
  /** Script path: SCANs per server call. Default 3. */
  scansPerCall?: number;
  /**
   * Client path: UNLINK commands allowed in flight at once, pipelined behind the SCANs. Redis runs one
   * connection's pipelined commands back to back, so this bounds how long another client's command can queue
   * behind the flush: one SCAN and this many UNLINKs of ~500 small keys. Default 4 (about 2 ms at most).
   */
  maxInFlight?: number;
  /**
   * Pacing: after the flush has kept Redis busy for `burstMs`, it pauses `pauseMs` with nothing in flight.
   * A server that is never idle is the first to lose its CPU on a busy host, and then *every* client waits a
   * scheduler slice; a server idle part of the time keeps its wake-up priority and answers others at once. Off
   * by default (pauseMs 0): on a quiet 2-core box the script walk already leaves the server idle between calls
   * (bench/flush.ts). Turn it on for a watched Redis that shares a saturated host.
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
  /** Server calls (script path) or UNLINK commands (client path) that did something. */
  batches: number;
  complete: boolean;
  durationMs: number;
  /** Which path did the walk (`client` after a refused script says why in `scriptRefused`). */
  via: 'script' | 'client';
  scriptRefused?: string;
}

/** UNLINK arguments per command inside the script (Lua's unpack has a C-stack bound of a few thousand). */
const UNLINK_CHUNK = 500;

// ARGV: cursor, MATCH pattern, COUNT per SCAN, SCANs at most, UNLINK chunk. Returns {cursor, matched, unlinked}.
const SCAN_UNLINK = new RedisScript(
  `local cursor = ARGV[1]
   local matched, unlinked, chunk = 0, 0, tonumber(ARGV[5])
   for _ = 1, tonumber(ARGV[4]) do
     local r = redis.call('SCAN', cursor, 'MATCH', ARGV[2], 'COUNT', ARGV[3])
     cursor = r[1]
     local keys = r[2]
     matched = matched + #keys
     for i = 1, #keys, chunk do
       unlinked = unlinked + redis.call('UNLINK', unpack(keys, i, math.min(i + chunk - 1, #keys)))
     end
     if cursor == '0' then break end
   end
   return {cursor, matched, unlinked}`,
  0,
);

/** What both paths share: totals, the cursor, abort and pacing. */
class Walk {
  readonly t0 = Date.now();
  matched = 0;
  unlinked = 0;
  batches = 0;
  cursor = '0';
  /** Set when SCAN came back to cursor 0: every slot was examined. */
  finished = false;
  private burstStart = performance.now();
  constructor(private readonly opts: FlushOptions) {}

  /** False when the walk must stop here (aborted). Pauses first when the burst is spent. */
  async mayGoOn(settle: () => Promise<unknown>): Promise<boolean> {
    if (this.opts.signal?.aborted) return false;
    const { burstMs = 6, pauseMs = 0 } = this.opts;
    if (burstMs > 0 && pauseMs > 0 && performance.now() - this.burstStart >= burstMs) {
      // Let the server go idle: wait for what is in flight, then pause with nothing queued.
      await settle();
      await new Promise((r) => setTimeout(r, pauseMs));
      this.burstStart = performance.now();
    }
    return !this.opts.signal?.aborted;
  }

  progressed(): void {
    this.opts.onProgress?.({ scanned: this.matched, unlinked: this.unlinked, batches: this.batches });
  }

  result(via: FlushResult['via'], scriptRefused?: string): FlushResult {
    return {
      matched: this.matched,
      unlinked: this.unlinked,
      batches: this.batches,
      complete: this.finished,
      durationMs: Date.now() - this.t0,
      via,
      ...(scriptRefused ? { scriptRefused } : {}),
    };
  }
}

async function walkByScript(client: Redis, pattern: string, opts: FlushOptions, walk: Walk): Promise<void> {
  const scanCount = opts.scanCount ?? 500;
  const scans = Math.max(1, opts.scansPerCall ?? 3);
  do {
    if (!(await walk.mayGoOn(async () => undefined))) return;
    const [next, matched, unlinked] = (await SCAN_UNLINK.run(client, [walk.cursor, pattern, scanCount, scans, UNLINK_CHUNK])) as [string, number, number];
    walk.cursor = next;
    if (matched > 0) {
      walk.matched += matched;
      walk.unlinked += unlinked;
      walk.batches++;
      walk.progressed();
    }
  } while (walk.cursor !== '0');
  walk.finished = true;
}

async function walkByClient(client: Redis, pattern: string, opts: FlushOptions, walk: Walk): Promise<void> {
  const scanCount = opts.scanCount ?? 1000;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  try {
    do {
      if (failure || !(await walk.mayGoOn(() => Promise.all(inFlight)))) return;
      // Names as bytes: a key that is not valid UTF-8 would come back mangled as a string and UNLINK would miss it.
      const [next, keys] = await client.scanBuffer(walk.cursor, 'MATCH', pattern, 'COUNT', scanCount);
      walk.cursor = next.toString();
      if (keys.length > 0) {
        walk.matched += keys.length;
        walk.batches++;
        const p: Promise<void> = client
          .unlink(...keys)
          .then((n) => {
            walk.unlinked += n;
          })
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        walk.progressed();
      }
    } while (walk.cursor !== '0');
    walk.finished = true;
  } finally {
    await Promise.all(inFlight);
    if (failure) throw failure;
  }
}

export async function unlinkMatching(client: Redis, pattern: string, opts: FlushOptions = {}): Promise<FlushResult> {
  const walk = new Walk(opts);
  const via = opts.via ?? 'auto';
  if (via === 'client') {
    await walkByClient(client, pattern, opts, walk);
    return walk.result('client');
  }
  try {
    await walkByScript(client, pattern, opts, walk);
    return walk.result('script');
  } catch (err) {
    const refused = scriptRefusal(err, via, walk.batches === 0 && walk.cursor === '0');
    if (!refused) throw err;
    await walkByClient(client, pattern, opts, walk);
    return walk.result('client', refused);
  }
}
