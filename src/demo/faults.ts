/**
 * Fault switches of the demo backend. Each switch reproduces one failure of the real AllThrive stack as a
 * client and the logs would see it (target-system §2, §3, §9, §12); the handlers consult `isOn()` on every
 * request, so a switch takes effect on the next request without a restart.
 */

export type FaultName =
  | 'redis-down'
  | 'token-500'
  | 'token-503'
  | 'wrong-cache-db'
  | 'ssl-redirect'
  | 'origin-rejected'
  | 'token-expired'
  | 'token-reuse-allowed'
  | 'slow-handshake'
  | 'metrics-path-missing'
  | 'metrics-wrong-path'
  | 'db-down'
  | 'backend-hang'
  | 'channel-layer-down'
  | 'leaked-counter'
  | 'redis-hang'
  | 'token-ttl-short'
  | 'rate-limited'
  | 'chat-route-missing'
  | 'redis-oom'
  | 'ssl-header-ignored'
  | 'disallowed-host'
  | 'cache-unreachable';

export const FAULT_DESCRIPTIONS: Readonly<Record<FaultName, string>> = {
  'redis-down':
    'Every cache and channel-layer operation fails with "Error 111 connecting to redis:6379" (the redis-server keeps running): ' +
    'authenticated token POST, login and /api/v1/db/health/ → 500 (DRF throttle / rate limit read the cache first), unauthenticated token POST → 401, ' +
    'chat with an earlier token → 403 + "Unexpected error validating connection token", chat via JWT → 500; /api/v1/health/ and /ws/health/ stay healthy.',
  'token-500': 'The token service raises → 500 {error:"Token generation failed", code:"TOKEN_GENERATION_ERROR", details}.',
  'token-503': 'The cache health read-back returns nothing → 503 {error:"Cache service unavailable", code:"CACHE_UNAVAILABLE"}.',
  'wrong-cache-db':
    'CACHE_URL unset: the whole Django cache (tokens, throttles, counters) lives in DB 4 instead of DB 2; handshakes still work.',
  'ssl-redirect':
    'SECURE_SSL_REDIRECT with a proxy header nobody sends: plain-HTTP requests get 301 to the same URL on https (unless X-Forwarded-Proto: https); ' +
    '/api/v1/health/ still 200; WebSocket upgrades are not redirected.',
  'origin-rejected':
    'CORS_ALLOWED_ORIGINS no longer holds the front end: a handshake that sends an Origin is refused with 403 + "WebSocket rejected - unauthorized origin" ' +
    '(the token is consumed first); a handshake without Origin still passes, as in the real consumer.',
  'token-expired': 'Tokens are stored with a 1 ms TTL, so they are gone before use → handshake 403 + "[WS_TOKEN] Invalid or expired token".',
  'token-reuse-allowed': 'Single use is broken: validation does not delete the key, so a replayed token connects again.',
  'slow-handshake': 'The chat handshake is answered only after a delay (option slowHandshakeMs, default 3000 ms).',
  'metrics-path-missing': 'No exporter: /metricsmetrics and /metrics both answer Django\'s 404 page.',
  'metrics-wrong-path': 'The real default: the exporter answers only at /metricsmetrics, /metrics is 404.',
  'db-down':
    'PostgreSQL unreachable: /api/v1/db/health/ → 503 {"status":"error"}; login and the token endpoint (user lookup) → 500; ' +
    'chat with a token → 403 + "Unexpected error validating connection token" (the token is consumed first).',
  'backend-hang': 'HTTP and WebSocket connections are accepted but never answered (black hole).',
  'channel-layer-down':
    'Channel-layer Redis (DB 3) fails: chat handshake → HTTP 500 after ~700 ms ("Exception inside application"); /ws/health/ still healthy.',
  'leaked-counter':
    'Sets allthrive:1:ws_connections:user:<probe uid> to 5 in the cache DB (a counter leaked by dead sockets). With debug off the next chat handshake ' +
    'of that user is a 403 (limit 5) and the counter drops to 4; in debug (local compose) the limit is not enforced, so it is only visible evidence.',
  'redis-hang':
    'The real redis-server stops answering (`CLIENT PAUSE … ALL`): connections are accepted, commands never answered. Django requests that touch ' +
    'the cache (login, db health, token, chat) hang until redis-py times out; /api/v1/health/ still answers.',
  'token-ttl-short': 'Tokens are stored with a 1 s TTL while the endpoint still advertises expires_in: 60 (CONNECTION_TOKEN_TTL patched).',
  'rate-limited':
    'Sets allthrive:1:ws_rate:user:<probe uid> to 10 (the connection-rate window is full). With debug off the next chat handshake of that user ' +
    'is a 403 + "WebSocket connection rate limit exceeded for user <id>"; debug skips the limit.',
  'chat-route-missing': 'The chat route is gone from the URL router: `/ws/chat/<id>/` → "No route found for path" and HTTP 500 at the handshake, Redis healthy.',
  'redis-oom':
    'The real redis-server is full with `maxmemory-policy noeviction` (maxmemory set below used memory): every write fails with ' +
    '"OOM command not allowed when used memory > \'maxmemory\'."; reads still work; nothing is evicted.',
  'ssl-header-ignored':
    'SECURE_SSL_REDIRECT with SECURE_PROXY_SSL_HEADER removed from the settings: plain-HTTP requests get 301 to themselves on https even with X-Forwarded-Proto: https.',
  'disallowed-host':
    'ALLOWED_HOSTS lacks the Host the client sends: every Django view answers 400 "Bad Request (400)" and logs "Invalid HTTP_HOST header"; ' +
    '/api/v1/health/ (answered before) and WebSockets (Channels checks no host) still work.',
  'cache-unreachable':
    'CACHE_URL of the web process points at a Redis it cannot reach (redis-cache:6379) while the channel layer and the bot reach the real one: ' +
    'login and db health → 500 (rate limit / throttle read the cache first), the token view is never reached.',
};

export const FAULT_NAMES: readonly FaultName[] = Object.keys(FAULT_DESCRIPTIONS) as FaultName[];

export function isFaultName(s: string): s is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULT_DESCRIPTIONS, s);
}

export interface FaultSwitches {
  /** Turn a fault on or off. Throws on an unknown name (names may come from chat commands at runtime). */
  set(name: FaultName, on: boolean): void;
  isOn(name: FaultName): boolean;
  /** Faults currently on, in declaration order. */
  active(): FaultName[];
  list(): Array<{ name: FaultName; description: string; on: boolean }>;
  /** Turn every fault off. */
  clear(): void;
  /**
   * Resolves once the side effects of earlier `set`/`clear` calls (e.g. writing the leaked counter into
   * Redis) have been applied. Never rejects.
   */
  settled(): Promise<void>;
}

/** Side effect run when a switch changes (e.g. leaked-counter writes Redis). Errors are swallowed. */
export type FaultChangeHook = (name: FaultName, on: boolean) => Promise<void> | void;

export function createFaultSwitches(onChange?: FaultChangeHook): FaultSwitches {
  const on = new Set<FaultName>();
  let pending: Promise<void> = Promise.resolve();
  const change = (name: FaultName, value: boolean) => {
    if (!isFaultName(name)) throw new Error(`unknown fault "${String(name)}"; known: ${FAULT_NAMES.join(', ')}`);
    const was = on.has(name);
    if (value) on.add(name);
    else on.delete(name);
    if (was !== value && onChange) {
      pending = pending.then(async () => {
        try {
          await onChange(name, value);
        } catch {
          /* the hook reports its own failures */
        }
      });
    }
  };
  return {
    set: change,
    isOn: (name) => on.has(name),
    active: () => FAULT_NAMES.filter((n) => on.has(n)),
    list: () => FAULT_NAMES.map((name) => ({ name, description: FAULT_DESCRIPTIONS[name], on: on.has(name) })),
    clear() {
      for (const n of [...on]) change(n, false);
    },
    settled: () => pending,
  };
}
