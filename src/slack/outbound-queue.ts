/**
 * Everything the bot sends to Slack goes through here — Web API calls and `response_url` posts alike — so one
 * place decides pacing, retries and merging (the WebClient itself runs with `retries: 0` and
 * `rejectRateLimitedCalls: true`).
 *
 * - **Lanes.** Each call names a lane (a channel id for chat.*, one lane per response_url, one per user for
 *   views). Order is kept within a lane; lanes proceed independently.
 * - **Pacing.** A token bucket per lane: `burst` calls at once, then one per `intervalMs` (Slack allows about
 *   1 message per second per channel, with short bursts).
 * - **429.** `Retry-After` pauses the lane, and for Web API methods that method in every lane (Slack's limits
 *   are per method per workspace); the call is then retried.
 * - **Merging.** A call with a `mergeKey` replaces a pending (not yet sent) call with the same key in its lane:
 *   only the newest `chat.update` of one message is sent, at the older call's place in the lane. Both callers'
 *   promises settle with the one result.
 * - **Transient errors** (network, 5xx, Slack's `internal_error`/`fatal_error`/`service_unavailable`…) are
 *   retried with exponential backoff for up to `maxRetryMs`, holding the lane so order is kept. Permanent errors
 *   (`invalid_blocks`, `channel_not_found`, …) reject at once and the lane moves on.
 * - **Bounded.** At most `maxPending` calls wait; beyond that `enqueue` rejects with `QueueFullError` (loudly,
 *   nothing already queued is dropped).
 * - **Redaction.** `text`, `blocks` and `view` of every call pass through `redactDeep` before sending.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { redact, redactDeep } from '../telemetry/redact';
import { isRenderedOutput } from './render';

export type OutboundCall =
  | { type: 'api'; method: string; args: Record<string, unknown> }
  | { type: 'url'; url: string; body: Record<string, unknown> };

export interface OutboundRequest {
  lane: string;
  call: OutboundCall;
  mergeKey?: string;
  /**
   * `urgent` calls (a new firing alert) go ahead of every waiting non-urgent call of their lane — never ahead of
   * the call in flight or of earlier urgent ones — so a backed-up lane of card redraws does not delay a page.
   */
  priority?: 'urgent';
}

export type ApiResult = Record<string, unknown> & { ok?: boolean };

/** How a failed send is to be handled. */
export type Failure =
  | { kind: 'rate_limited'; retryAfterMs: number; error: string }
  | { kind: 'transient'; error: string }
  | { kind: 'permanent'; error: string };

export interface Transport {
  api(method: string, args: Record<string, unknown>): Promise<ApiResult>;
  url(url: string, body: Record<string, unknown>): Promise<ApiResult>;
}

export class SlackCallError extends Error {
  constructor(
    readonly error: string,
    readonly call: string,
    readonly attempts: number,
  ) {
    super(`${call} failed: ${error}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`);
    this.name = 'SlackCallError';
  }
}

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`outbound queue is full (${limit} calls waiting); Slack may be down`);
    this.name = 'QueueFullError';
  }
}

export interface QueueOptions {
  /** Minimum spacing per lane once the burst is spent (ms). Default 1000. */
  intervalMs?: number;
  /** Calls a lane may make back to back. Default 3. */
  burst?: number;
  /** Calls in flight across all lanes. Default 16. */
  maxConcurrent?: number;
  /** Calls waiting across all lanes before enqueue refuses. Default 5000. */
  maxPending?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. Defaults 500 / 30000. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Give up on a call that has failed transiently for this long. Default 15 min. */
  maxRetryMs?: number;
  /** Default wait when a 429 carries no usable Retry-After. Default 1000. */
  defaultRetryAfterMs?: number;
  /** Called on every attempt outcome (metrics, logs). Never sees secrets: only lane hash, method, error code. */
  onEvent?: (e: QueueEvent) => void;
}

export type QueueEvent =
  | { type: 'sent'; lane: string; call: string; attempts: number; ms: number }
  | { type: 'retry'; lane: string; call: string; attempt: number; delayMs: number; error: string }
  | { type: 'rate_limited'; lane: string; call: string; retryAfterMs: number }
  | { type: 'failed'; lane: string; call: string; error: string; attempts: number }
  | { type: 'merged'; lane: string; call: string };

interface Waiter {
  resolve(r: ApiResult): void;
  reject(e: Error): void;
}

interface Item {
  call: OutboundCall;
  mergeKey: string | undefined;
  waiters: Waiter[];
  attempts: number;
  firstFailureAt: number | undefined;
  notBefore: number;
  urgent: boolean;
}

interface Lane {
  name: string;
  items: Item[];
  busy: boolean;
  tokens: number;
  refilledAt: number;
  pausedUntil: number;
}

export interface QueueStats {
  pending: number;
  inFlight: number;
  sent: number;
  merged: number;
  retried: number;
  rateLimited: number;
  failed: number;
  lanes: number;
}

const TRANSIENT_SLACK_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'rate_limited',
  'team_is_restricted_temporarily',
]);

/** Short, stable, secret-free name for a response_url lane. */
export function urlLane(url: string): string {
  return `ru:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

function callName(call: OutboundCall): string {
  return call.type === 'api' ? call.method : 'response_url';
}

const SENSITIVE_PAYLOAD_KEYS = ['text', 'blocks', 'view', 'attachments'] as const;

function redactPayload(obj: Record<string, unknown>): Record<string, unknown> {
  const out = { ...obj };
  for (const k of SENSITIVE_PAYLOAD_KEYS) if (out[k] !== undefined && !isRenderedOutput(out[k])) out[k] = redactDeep(out[k]);
  return out;
}

export class OutboundQueue {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with calls waiting or in flight: the only ones pump() looks at. */
  private readonly active = new Set<Lane>();
  private readonly methodPausedUntil = new Map<string, number>();
  private readonly opts: Required<Omit<QueueOptions, 'onEvent'>> & Pick<QueueOptions, 'onEvent'>;
  private pending = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { sent: 0, merged: 0, retried: 0, rateLimited: 0, failed: 0 };

  constructor(
    private readonly transport: Transport,
    opts: QueueOptions = {},
  ) {
    this.opts = {
      intervalMs: opts.intervalMs ?? 1000,
      burst: opts.burst ?? 3,
      maxConcurrent: opts.maxConcurrent ?? 16,
      maxPending: opts.maxPending ?? 5000,
      baseBackoffMs: opts.baseBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30000,
      maxRetryMs: opts.maxRetryMs ?? 15 * 60 * 1000,
      defaultRetryAfterMs: opts.defaultRetryAfterMs ?? 1000,
      onEvent: opts.onEvent,
    };
  }

  /** Queue one call; resolves with Slack's answer once sent, rejects with SlackCallError when it cannot be. */
  enqueue(req: OutboundRequest): Promise<ApiResult> {
    if (this.closed) return Promise.reject(new Error('outbound queue is closed'));
    return new Promise<ApiResult>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const lane = this.lane(req.lane);
      if (req.mergeKey !== undefined) {
        // Only items not yet handed to the transport can be merged; the lane head may be in flight.
        const start = lane.busy ? 1 : 0;
        for (let i = lane.items.length - 1; i >= start; i--) {
          const it = lane.items[i];
          if (it && it.mergeKey === req.mergeKey) {
            it.call = mergeCalls(it.call, req.call);
            it.waiters.push(waiter);
            this.counters.merged++;
            this.emit({ type: 'merged', lane: lane.name, call: callName(req.call) });
            return;
          }
        }
      }
      if (this.pending >= this.opts.maxPending) {
        reject(new QueueFullError(this.opts.maxPending));
        return;
      }
      const item: Item = { call: req.call, mergeKey: req.mergeKey, waiters: [waiter], attempts: 0, firstFailureAt: undefined, notBefore: 0, urgent: req.priority === 'urgent' };
      if (item.urgent) {
        const start = lane.busy ? 1 : 0;
        let at = lane.items.length;
        for (let i = start; i < lane.items.length; i++) {
          if (!lane.items[i]?.urgent) {
            at = i;
            break;
          }
        }
        lane.items.splice(at, 0, item);
      } else lane.items.push(item);
      this.active.add(lane);
      this.pending++;
      this.pump();
    });
  }

  stats(): QueueStats {
    return { pending: this.pending, inFlight: this.inFlight, lanes: this.lanes.size, ...this.counters };
  }

  /** Resolves when nothing is pending or in flight (or after `timeoutMs`; returns whether it drained). */
  async drain(timeoutMs = 10000): Promise<boolean> {
    if (this.pending === 0) return true;
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Try to send what is queued for up to `drainMs`, then reject whatever is left. */
  async close(drainMs = 5000): Promise<number> {
    await this.drain(drainMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    let left = 0;
    for (const lane of this.lanes.values()) {
      const keep = lane.busy ? lane.items.slice(0, 1) : [];
      for (const it of lane.items.slice(keep.length)) {
        left++;
        for (const w of it.waiters) w.reject(new SlackCallError('queue_closed', callName(it.call), it.attempts));
      }
      lane.items = keep;
    }
    this.pending -= left;
    return left;
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { name, items: [], busy: false, tokens: this.opts.burst, refilledAt: Date.now(), pausedUntil: 0 };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private emit(e: QueueEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // observers never break sending
    }
  }

  private refill(lane: Lane, now: number): void {
    const gained = (now - lane.refilledAt) / this.opts.intervalMs;
    if (gained > 0) {
      lane.tokens = Math.min(this.opts.burst, lane.tokens + gained);
      lane.refilledAt = now;
    }
  }

  /** When this lane's head may go, or undefined if it cannot be scheduled (busy or empty). */
  private readyAt(lane: Lane, now: number): number | undefined {
    if (lane.busy) return undefined;
    const head = lane.items[0];
    if (!head) return undefined;
    this.refill(lane, now);
    const tokenAt = lane.tokens >= 1 ? now : now + (1 - lane.tokens) * this.opts.intervalMs;
    const methodAt = head.call.type === 'api' ? (this.methodPausedUntil.get(head.call.method) ?? 0) : 0;
    return Math.max(tokenAt, lane.pausedUntil, head.notBefore, methodAt);
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    let next = Infinity;
    for (const lane of this.active) {
      if (this.inFlight >= this.opts.maxConcurrent) break;
      if (!lane.busy && lane.items.length === 0) {
        this.active.delete(lane);
        this.retire(lane, now);
        continue;
      }
      const at = this.readyAt(lane, now);
      if (at === undefined) continue;
      if (at <= now) this.send(lane);
      else next = Math.min(next, at);
    }
    if (next < Infinity) this.schedule(next);
    this.checkIdle();
  }

  /** Forget an idle lane once forgetting it changes nothing (its bucket is full again, no pause pending). */
  private retire(lane: Lane, now: number): void {
    const idle = (l: Lane): boolean => {
      this.refill(l, now);
      return l.items.length === 0 && !l.busy && l.tokens >= this.opts.burst && l.pausedUntil <= now;
    };
    if (idle(lane)) {
      this.sweepLater.delete(lane);
      if (this.lanes.get(lane.name) === lane) this.lanes.delete(lane.name);
    } else {
      // Forgetting it now would hand it a fresh burst: sweep it once its bucket is full again.
      this.sweepLater.add(lane);
    }
    if (this.sweepLater.size > 1000) {
      for (const l of this.sweepLater) {
        if (l.items.length || l.busy) {
          this.sweepLater.delete(l);
        } else if (idle(l)) {
          this.sweepLater.delete(l);
          if (this.lanes.get(l.name) === l) this.lanes.delete(l.name);
        }
      }
    }
  }

  private readonly sweepLater = new Set<Lane>();

  private schedule(at: number): void {
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    // A pending retry must not keep a stopping process alive forever; close() drains explicitly.
    this.timer.unref?.();
  }

  private checkIdle(): void {
    if (this.pending === 0 && this.idleWaiters.length) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }

  private send(lane: Lane): void {
    const item = lane.items[0];
    if (!item) return;
    lane.busy = true;
    lane.tokens -= 1;
    item.attempts++;
    this.inFlight++;
    const started = Date.now();
    const call = item.call;
    const name = callName(call);
    const p =
      call.type === 'api'
        ? this.transport.api(call.method, redactPayload(call.args))
        : this.transport.url(call.url, redactPayload(call.body));
    p.then(
      (result) => {
        this.inFlight--;
        lane.busy = false;
        lane.items.shift();
        this.pending--;
        this.counters.sent++;
        this.emit({ type: 'sent', lane: lane.name, call: name, attempts: item.attempts, ms: Date.now() - started });
        for (const w of item.waiters) w.resolve(result);
        this.pump();
      },
      (err: unknown) => {
        this.inFlight--;
        lane.busy = false;
        const f = classifyFailure(err);
        const t = Date.now();
        if (f.kind === 'rate_limited') {
          this.counters.rateLimited++;
          lane.pausedUntil = t + f.retryAfterMs;
          if (call.type === 'api') this.methodPausedUntil.set(call.method, t + f.retryAfterMs);
          this.emit({ type: 'rate_limited', lane: lane.name, call: name, retryAfterMs: f.retryAfterMs });
          item.firstFailureAt ??= t;
        } else if (f.kind === 'transient') {
          item.firstFailureAt ??= t;
        }
        const giveUp =
          f.kind === 'permanent' || (item.firstFailureAt !== undefined && t - item.firstFailureAt > this.opts.maxRetryMs);
        if (giveUp) {
          lane.items.shift();
          this.pending--;
          this.counters.failed++;
          this.emit({ type: 'failed', lane: lane.name, call: name, error: f.error, attempts: item.attempts });
          const e = new SlackCallError(f.error, name, item.attempts);
          for (const w of item.waiters) w.reject(e);
        } else if (f.kind === 'transient') {
          this.counters.retried++;
          const exp = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (item.attempts - 1));
          const delay = Math.round(exp * (0.8 + Math.random() * 0.4));
          item.notBefore = t + delay;
          this.emit({ type: 'retry', lane: lane.name, call: name, attempt: item.attempts, delayMs: delay, error: f.error });
        }
        this.pump();
      },
    );
  }
}

/** Merge a newer call into a pending one with the same merge key. */
export function mergeCalls(older: OutboundCall, newer: OutboundCall): OutboundCall {
  if (older.type === 'url' && newer.type === 'url') {
    // The first post through a response_url may create the message: keep whether it replaces or creates.
    const body = { ...newer.body };
    if ('replace_original' in older.body) body.replace_original = older.body.replace_original;
    else delete body.replace_original;
    return { ...newer, body };
  }
  return newer;
}

/** Sort a WebClient / fetch failure into rate-limited, transient (retry) or permanent (give up). */
export function classifyFailure(err: unknown): Failure {
  const e = err as {
    code?: string;
    retryAfter?: number;
    retryAfterMs?: number;
    statusCode?: number;
    status?: number;
    data?: { error?: string };
    slackError?: string;
    message?: string;
  };
  if (e?.code === 'slack_webapi_rate_limited_error' || e?.retryAfterMs !== undefined || e?.status === 429 || e?.statusCode === 429) {
    const ms = e.retryAfterMs ?? (typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : 1000);
    return { kind: 'rate_limited', retryAfterMs: Math.max(0, ms), error: 'ratelimited' };
  }
  if (e?.code === 'slack_webapi_request_error') return { kind: 'transient', error: 'request_error' };
  const status = e?.statusCode ?? e?.status;
  if (e?.code === 'slack_webapi_http_error' || typeof status === 'number') {
    const s = status ?? 0;
    if (s >= 500 || s === 408 || s === 0) return { kind: 'transient', error: `http_${s}` };
    return { kind: 'permanent', error: e.slackError ?? e.data?.error ?? `http_${s}` };
  }
  const slackError = e?.data?.error ?? e?.slackError;
  if (e?.code === 'slack_webapi_platform_error' || slackError) {
    const code = slackError ?? 'unknown_error';
    return TRANSIENT_SLACK_ERRORS.has(code) ? { kind: 'transient', error: code } : { kind: 'permanent', error: code };
  }
  // Network failures and timeouts: node system errors (ECONNREFUSED, ECONNRESET, …), fetch's TypeError/AbortError.
  const name = (err as Error)?.name;
  const sysCode = (err as NodeJS.ErrnoException)?.code;
  if (
    (typeof sysCode === 'string' && /^E[A-Z]+$/.test(sysCode)) ||
    name === 'TypeError' ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    /ECONN|ETIMEDOUT|EPIPE|socket hang up/i.test(e?.message ?? '')
  ) {
    return { kind: 'transient', error: 'network' };
  }
  return { kind: 'permanent', error: redact(e?.message ?? String(err)).slice(0, 200) };
}

/** An HTTP failure of a response_url post, shaped for classifyFailure. */
export class ResponseUrlError extends Error {
  constructor(
    readonly status: number,
    readonly slackError: string | undefined,
    readonly retryAfterMs?: number,
  ) {
    super(`response_url answered HTTP ${status}${slackError ? ` (${slackError})` : ''}`);
    this.name = 'ResponseUrlError';
  }
}

/**
 * The production transport: a WebClient (retries off) for methods, and node's own http(s) client with a
 * keep-alive agent for response_url posts (cheaper per call than fetch, which matters when fifty answers go
 * out while acks are still being sent).
 */
export function createTransport(client: { apiCall(method: string, args?: Record<string, unknown>): Promise<unknown> }, timeoutMs = 10000): Transport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
  };
  return {
    api: async (method, args) => (await client.apiCall(method, args)) as ApiResult,
    url: (url, body) => postJson(url, body, agents, timeoutMs),
  };
}

function postJson(url: string, body: Record<string, unknown>, agents: { 'http:': http.Agent; 'https:': https.Agent }, timeoutMs: number): Promise<ApiResult> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return Promise.reject(new ResponseUrlError(400, 'invalid_url'));
  const payload = JSON.stringify(body);
  const request = u.protocol === 'https:' ? https.request : http.request;
  return new Promise<ApiResult>((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        agent: agents[u.protocol as 'http:' | 'https:'],
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: ApiResult | undefined;
          try {
            parsed = JSON.parse(text) as ApiResult;
          } catch {
            parsed = undefined;
          }
          if (status === 429) {
            const ra = Number(res.headers['retry-after']);
            return reject(new ResponseUrlError(429, 'ratelimited', Number.isFinite(ra) && ra >= 0 ? ra * 1000 : 1000));
          }
          if (status < 200 || status >= 300) return reject(new ResponseUrlError(status, (parsed?.error as string | undefined) ?? (text.trim().slice(0, 60) || undefined)));
          if (parsed && parsed.ok === false) return reject(new ResponseUrlError(400, (parsed.error as string | undefined) ?? 'unknown_error'));
          resolve(parsed ?? { ok: true });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('response_url request timed out'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(payload);
  });
}
