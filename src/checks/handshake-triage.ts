/**
 * Why a chat handshake was refused — with what the bot can see, not with a guess (target-system §3.1, §12, §13).
 *
 * A pre-accept 403 is one symptom with many causes (origin, invalid/expired token, connection rate, concurrency,
 * a cache error while validating). A pre-accept 500 is any exception before accept (no route, a failing
 * `group_add`, a cache write refused). The pieces of evidence, cheapest first:
 *
 * - the probe user's own counters `ws_rate:user:<id>` / `ws_connections:user:<id>` read before and after;
 * - whether the bot sent an Origin at all (the consumer lets a missing Origin pass);
 * - the token's age at use against its TTL, and whether the key is still there after the refusal;
 * - the web container's own log lines around the probe, when the Docker engine is configured (exact texts of
 *   core/agents/consumers.py, security.py, ws_connection_tokens.py, middleware.py);
 * - differential probes: the same handshake without Origin (fresh token) after an Origin refusal, and the chat
 *   path without any token after a 500 (403 = the route exists, 500 = it does not).
 */
import { fetchLogs } from '../logs/logs-command';
import { openWebSocket } from '../targets/websocket';
import { redisCall } from './probe-helpers';
import type { CheckContext, Evidence } from './types';

export interface ProbeCounters {
  rate: number | null;
  open: number | null;
}

/** The probe user's connection counters (raw ints in the cache DB); nulls when unknown. */
export async function readProbeCounters(ctx: CheckContext, uid: number | undefined): Promise<ProbeCounters> {
  if (uid === undefined) return { rate: null, open: null };
  const r = ctx.env.redis;
  try {
    const [rate, open] = await redisCall(
      ctx.targets.redis(r.dbs.cache).mget(`${r.cacheKeyPrefix}ws_rate:user:${uid}`, `${r.cacheKeyPrefix}ws_connections:user:${uid}`),
      ctx.signal,
      r.commandTimeoutMs,
    );
    const num = (v: string | null | undefined) => (v === null || v === undefined ? 0 : /^-?\d+$/.test(v) ? Number(v) : null);
    return { rate: num(rate), open: num(open) };
  } catch {
    return { rate: null, open: null };
  }
}

/** What the probe changed in the stack's state, in words (empty when nothing). */
export function counterChanges(uid: number | undefined, before: ProbeCounters, after: ProbeCounters): string[] {
  const out: string[] = [];
  const name = (k: string) => `${k}:user:${uid}`;
  if (before.open !== null && after.open !== null && before.open !== after.open) {
    out.push(`${name('ws_connections')} ${before.open} → ${after.open}${after.open < before.open ? ' (the server decrements it on every rejected handshake)' : ''}`);
  }
  if (before.rate !== null && after.rate !== null && before.rate !== after.rate) out.push(`${name('ws_rate')} ${before.rate} → ${after.rate}`);
  return out;
}

/** The real code's limits (core/agents/security.py). */
export const CONNECTION_RATE_LIMIT = 10;
export const MAX_CONNECTIONS_PER_USER = 5;

export type RefusalKind =
  | 'origin'
  | 'rate-limit'
  | 'connection-limit'
  | 'token-expired'
  | 'token-unknown'
  | 'cache-error'
  | 'user-inactive'
  | 'unexplained';

export interface Refusal {
  kind: RefusalKind;
  why: string;
  /** Which evidence decided: log line, counters, token age, differential probe. */
  by: 'log' | 'counters' | 'token' | 'probe' | 'none';
}

/** Log lines that name a refusal, most specific first (exact texts of the real code). */
const LOG_REFUSALS: Array<{ re: RegExp; kind: RefusalKind; why: string }> = [
  { re: /WebSocket rejected - unauthorized origin/, kind: 'origin', why: 'the consumer logged "WebSocket rejected - unauthorized origin"' },
  { re: /WebSocket connection rate limit exceeded for user|exceeded connection rate limit/, kind: 'rate-limit', why: 'the consumer logged "WebSocket connection rate limit exceeded"' },
  { re: /WebSocket connection limit exceeded for user|exceeded WebSocket connection limit/, kind: 'connection-limit', why: 'the consumer logged "WebSocket connection limit exceeded"' },
  { re: /Unexpected error validating connection token/, kind: 'cache-error', why: 'the middleware logged "Unexpected error validating connection token" (its cache raised)' },
  { re: /Inactive user attempted WebSocket connection|User not found for connection token/, kind: 'user-inactive', why: 'the middleware logged an inactive or missing probe user' },
];

export interface TriageInput {
  uid: number | undefined;
  before: ProbeCounters;
  originSent: boolean;
  /** The bot saw the key in the cache DB before the handshake (token-storage). */
  seenStored: boolean | null;
  /** When the key would expire, by its PTTL at lookup (epoch ms). */
  expiresAt: number | null;
  handshakeAt: number;
  /** Key still present after the refusal (null: Redis not askable). */
  stillStored: boolean | null;
  logLines: string[] | null;
  /** Counters right after the refusal (before any differential probe). */
  after: ProbeCounters;
  /** Result of the same handshake without Origin (fresh token), when one was made. */
  withoutOrigin?: number | 'open' | string;
}

/**
 * The limits are enforced only with DEBUG off; there the refused handshake itself runs `disconnect`, which
 * decrements `ws_connections` (§13) — so a drop proves the concurrency limit was live; the rate check leaves
 * `ws_rate` as it was when it refuses (a passing check would have raised it).
 */
export function limitHit(t: Pick<TriageInput, 'before' | 'after' | 'originSent'>): 'rate-limit' | 'connection-limit' | undefined {
  const { before, after } = t;
  if (before.rate !== null && before.rate >= CONNECTION_RATE_LIMIT && after.rate === before.rate) return 'rate-limit';
  if (before.open !== null && before.open >= MAX_CONNECTIONS_PER_USER && after.open !== null && (after.open < before.open || !t.originSent)) {
    return 'connection-limit';
  }
  return undefined;
}

export function explain403(t: TriageInput): Refusal {
  for (const l of LOG_REFUSALS) {
    if (t.logLines?.some((x) => l.re.test(x))) return { kind: l.kind, why: l.why, by: 'log' };
  }
  const limit = limitHit(t);
  if (limit === 'rate-limit') {
    return { kind: 'rate-limit', why: `ws_rate:user:${t.uid} was ${t.before.rate} before the probe (limit ${CONNECTION_RATE_LIMIT} per 60 s)`, by: 'counters' };
  }
  if (limit === 'connection-limit') {
    return {
      kind: 'connection-limit',
      why: `ws_connections:user:${t.uid} was ${t.before.open} before the probe (limit ${MAX_CONNECTIONS_PER_USER}); the refusal lowered it to ${t.after.open}`,
      by: 'counters',
    };
  }
  if (t.withoutOrigin === 'open') {
    return { kind: 'origin', why: 'the same handshake without an Origin header connected: the Origin the bot sends (backend.origin) is not allowed', by: 'probe' };
  }
  if (t.seenStored === false) {
    return { kind: 'token-expired', why: 'the token was already gone from the cache when the bot looked, and the server could not find it either', by: 'token' };
  }
  if (t.expiresAt !== null && t.handshakeAt >= t.expiresAt) {
    return { kind: 'token-expired', why: `the token expired ${t.handshakeAt - t.expiresAt} ms before the handshake (its TTL is shorter than the time to use it)`, by: 'token' };
  }
  if (t.logLines?.some((x) => /\[WS_TOKEN\] Invalid or expired token/.test(x))) {
    return { kind: 'token-unknown', why: 'the server logged "[WS_TOKEN] Invalid or expired token" for a token the bot saw stored', by: 'log' };
  }
  if (t.stillStored === true) {
    return { kind: 'token-unknown', why: 'the token is still in the cache after the refusal: the server looked it up elsewhere or its cache raised', by: 'token' };
  }
  const sent = t.originSent ? 'the bot sent an Origin but the no-Origin retry did not connect either' : 'the bot sent no Origin (so it is not the origin rule)';
  return { kind: 'unexplained', why: `token consumed, counters below the limits, ${sent}; read the web logs around the probe`, by: 'none' };
}

export type ErrorKind = 'no-route' | 'redis-oom' | 'redis-error' | 'in-consumer';

/** A pre-accept 500: the unauthenticated probe of the same path and the log lines decide. */
export function explain500(routeProbe: number | 'open' | string, logLines: string[] | null): { kind: ErrorKind; why: string } {
  if (logLines?.some((l) => /No route found for path/.test(l)) || routeProbe === 500) {
    return { kind: 'no-route', why: 'the chat path has no route: the same path without a token is a 500 too ("No route found for path")' };
  }
  if (logLines?.some((l) => /OOM command not allowed/.test(l))) return { kind: 'redis-oom', why: 'Redis refused a write: "OOM command not allowed"' };
  if (logLines?.some((l) => /Error \d+ connecting to|ConnectionError|Connection refused|Timeout reading from socket/.test(l))) {
    return { kind: 'redis-error', why: 'the exception is a Redis connection error (the channel layer or cache)' };
  }
  return {
    kind: 'in-consumer',
    why: `the route exists (the same path without a token is ${routeProbe}): an exception in the consumer before accept (group_add, the rate limiter's cache)`,
  };
}

/** The web container's recent log lines (redacted), or null without an engine. */
export async function recentWebLog(ctx: CheckContext, sinceMs: number): Promise<string[] | null> {
  const target = ctx.env.docker.enabled ? ctx.targets.docker() : undefined;
  if (!target) return null;
  try {
    const r = await fetchLogs(target, {
      service: ctx.env.docker.logService,
      sinceSeconds: Math.max(1, Math.ceil((Date.now() - sinceMs) / 1000) + 1),
      tail: 400,
      signal: ctx.signal,
      timeoutMs: Math.min(ctx.env.docker.timeoutMs, 1500),
    });
    return r.lines;
  } catch {
    return null;
  }
}

/** Status of a handshake (101 → 'open'); closes what it opened. */
export async function handshakeStatus(ctx: CheckContext, url: string, origin?: string): Promise<number | 'open' | string> {
  const r = await openWebSocket(url, { timeoutMs: ctx.env.backend.timeoutMs, signal: ctx.signal, ...(origin ? { origin } : {}) });
  if (r.kind === 'open') {
    await r.socket.close(1000, 500, ctx.signal);
    return 'open';
  }
  return r.kind === 'http' ? r.status : r.kind;
}

export function evidenceOf(t: TriageInput, r: Refusal): Evidence {
  return {
    refusal: r.kind,
    decidedBy: r.by,
    // The Django user id of the probe (digits, not a secret): the fix for its leaked counter needs it.
    probeUserId: t.uid ?? null,
    originSent: t.originSent,
    rateBefore: t.before.rate,
    openBefore: t.before.open,
    tokenSeenStored: t.seenStored,
    tokenStillStored: t.stillStored,
    ...(t.withoutOrigin !== undefined ? { withoutOrigin: String(t.withoutOrigin) } : {}),
    logLinesRead: t.logLines === null ? null : t.logLines.length,
  };
}
