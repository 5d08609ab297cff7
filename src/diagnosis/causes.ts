/**
 * The causes diagnosis knows, most fundamental first. Each names the signals that reveal it (emitted by checks in
 * Finding.signals), the checks whose failures it explains, the next step and the remediations that fit.
 *
 * Order matters: when two causes match, the earlier one is the root cause and explains the later one's checks
 * (Redis down explains the token endpoint's 500 and the 403 handshakes; see target-system §12).
 *
 * Remediation ids (executed by the remediation issue): restart-backend (R1), restart-redis (R2),
 * restart-celery (R3), clear-leaked-counters (R4), flush-connection-tokens (R6), stop-frontend (guide Issue 2),
 * and manual ones: fix-ssl-redirect (R8), fix-origins (R10), fix-metrics-path (R12), fix-cache-url.
 *
 * A check that could not run (`unknown`, e.g. no Docker socket) is not a cause: the verdict lists it as "could not
 * run" and its finding carries the reason and the fix, so the bot's own blind spots never mark the stack degraded.
 */
import type { Finding } from '../checks/types';
import type { Cause } from './types';

export interface CauseRule extends Omit<Cause, 'why' | 'explains'> {
  /** Any of these signals reveals the cause. */
  signals: readonly string[];
  /** Extra condition over all findings (e.g. Redis unreachable *and* the stack affected). */
  when?(f: FindingIndex): boolean;
  /** Checks whose non-ok result this cause explains. */
  explains: readonly string[];
  /** Builds the "why" sentence from the findings that matched. */
  why(matched: Finding[], f: FindingIndex): string;
}

export interface FindingIndex {
  get(check: string): Finding | undefined;
  hasSignal(signal: string): boolean;
  withSignal(signal: string): Finding[];
  failing(): Finding[];
}

const HTTP_AND_WS = ['http-liveness', 'db-health', 'ws-edge', 'token-issuance', 'token-storage', 'chat-handshake', 'metrics', 'prometheus', 'backend-logs'];
const TOKEN_PATH = ['token-issuance', 'token-storage', 'chat-handshake'];
const REDIS_DEPENDENT = ['redis', 'celery-queue', 'ws-counters', ...TOKEN_PATH, 'db-health', 'backend-logs'];

/** "a, b: same summary; c: other summary" — findings that say the same thing are named together. */
const list = (fs: Finding[]): string => {
  const bySummary = new Map<string, string[]>();
  for (const f of fs) bySummary.set(f.summary, [...(bySummary.get(f.summary) ?? []), f.check]);
  return [...bySummary].map(([summary, checks]) => `${checks.join(', ')}: ${summary}`).join('; ');
};

/** Whether the stack itself (not just the bot's view of Redis) shows the damage. */
const stackHurt = (f: FindingIndex): boolean =>
  ['token-endpoint-500', 'token-endpoint-503', 'token-or-cache-500', 'handshake-403', 'channel-layer-error', 'redis-container-down'].some((s) =>
    f.hasSignal(s),
  ) || f.hasSignal('redis-down-in-logs');

export const CAUSES: readonly CauseRule[] = [
  {
    id: 'stack-not-running',
    title: 'Nothing of the stack answers (not running, or the bot points elsewhere)',
    severity: 'down',
    signals: ['backend-down', 'web-container-down'],
    // Refused by the backend *and* by Redis: the usual picture of a stack that is not up, or a wrong config.
    when: (f) =>
      f.withSignal('backend-down').some((x) => !x.signals?.includes('timeout')) && f.hasSignal('redis-down') && !f.hasSignal('token-endpoint-500'),
    explains: [...new Set([...HTTP_AND_WS, ...REDIS_DEPENDENT])],
    why: (m, f) =>
      `Neither the backend nor Redis accepts connections (${list([...m.slice(0, 2), ...f.withSignal('redis-down').slice(0, 1)])}).`,
    nextStep: 'Start the stack (`make up`, or `docker compose up -d`) and check `/ws check containers`; if it runs, point the bot at it (`backend.url`, `redis.url`; see `ws-doctor config explain`).',
    remediations: [],
    ref: 'guide Quick Diagnostics 1 / target-system §7',
  },
  {
    id: 'backend-down',
    title: 'The backend (web) is not answering',
    severity: 'down',
    signals: ['backend-down', 'web-container-down', 'asgi-down'],
    // Timeouts with the port open are the next rule's (hung), refused connections and dead containers this one's.
    when: (f) => ['backend-down', 'web-container-down', 'asgi-down'].some((s) => f.withSignal(s).some((x) => !x.signals?.includes('timeout'))),
    explains: HTTP_AND_WS,
    why: (m) => `The Django ASGI server does not answer: ${list(m)}. Every HTTP and WebSocket check depends on it.`,
    nextStep: 'Look at `/ws logs web` for a crash or migration traceback, then restart the backend.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 1 / target-system check 1, 14',
  },
  {
    id: 'backend-hung',
    title: 'The backend accepts connections but never answers',
    severity: 'down',
    signals: ['timeout'],
    when: (f) => ['http-liveness', 'db-health'].some((c) => f.get(c)?.signals?.includes('timeout')),
    explains: HTTP_AND_WS,
    why: (m) =>
      `Requests to the backend time out with the port open (${m.map((x) => x.check).join(', ')}): the ASGI worker is blocked or the proxy holds the connection.`,
    nextStep: 'Check `/ws logs web` for a hung request or deadlock; restart the backend if it does not recover.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 4 / target-system check 1',
  },
  {
    id: 'redis-down',
    title: 'Redis is down',
    severity: 'down',
    signals: ['redis-down', 'redis-container-down'],
    when: stackHurt,
    explains: REDIS_DEPENDENT,
    why: (m) =>
      `Redis does not answer (${list(m)}). The token endpoint reads its throttle from the cache DB first, so it returns 500, and chat handshakes are refused with 403.`,
    nextStep: 'Restart Redis, then the backend so sockets rejoin their channel groups; tokens are reissued on reconnect.',
    remediations: ['restart-redis', 'restart-backend'],
    ref: 'guide Issue 1 cause 1 / target-system §12, R2',
  },
  {
    id: 'ssl-redirect',
    title: 'SSL redirect loop (301 to the same URL)',
    severity: 'down',
    signals: ['ssl-redirect', 'ssl-redirect-suspected'],
    explains: HTTP_AND_WS,
    why: (m) =>
      `Django redirects plain-HTTP requests to themselves on https (${list(m)}): the proxy's forwarded-proto header is not trusted, so no handshake reaches the app (the 2025-12-12 incident).`,
    nextStep: 'Set `SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")` (or emergency `SECURE_SSL_REDIRECT=False`) and redeploy.',
    remediations: ['fix-ssl-redirect'],
    ref: 'target-system §9.1, F1, R8',
  },
  {
    id: 'db-down',
    title: 'The database is down',
    severity: 'down',
    signals: ['db-down'],
    explains: ['db-health', 'token-issuance', 'chat-handshake'],
    why: (m) => `Django's DB health fails (${list(m)}); login and the per-handshake user lookup need it.`,
    nextStep: 'Check the `db` container (`/ws check containers`) and its logs; restart it if stopped.',
    remediations: [],
    ref: 'target-system check 2, §7',
  },
  {
    id: 'channel-layer-error',
    title: 'Channel layer failing (handshake 500)',
    severity: 'down',
    signals: ['channel-layer-error'],
    explains: ['chat-handshake'],
    why: (m) => `The chat handshake ends in HTTP 500 (${list(m)}): an exception before accept, usually \`group_add\` on the channel-layer Redis (DB 3).`,
    nextStep: 'Check Redis DB 3 and the backend logs for `Exception inside application`; restart Redis then the backend.',
    remediations: ['restart-redis', 'restart-backend'],
    ref: 'target-system §3, §12, check 6',
  },
  {
    id: 'token-endpoint-error',
    title: 'The connection-token endpoint fails',
    severity: 'down',
    signals: ['token-endpoint-500', 'token-endpoint-503', 'token-or-cache-500'],
    explains: [...TOKEN_PATH, 'db-health'],
    why: (m) => `The token endpoint errors (${list(m)}) while Redis answers the bot: the token service or its cache config is broken. No browser can open a socket.`,
    nextStep: 'Read `/ws logs web --grep WS_TOKEN_API` for the exception, then restart the backend.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 1 / target-system §2.1',
  },
  {
    id: 'token-not-stored',
    title: 'Issued tokens are not in the cache DB',
    severity: 'down',
    signals: ['token-not-stored', 'token-expiry-or-db-mismatch'],
    explains: TOKEN_PATH,
    why: (m) =>
      `The endpoint returns a token but it is not in the cache DB when checked (${list(m)}): its TTL is far below 60 s or the web process writes another Redis; handshakes then fail with "Invalid or expired token".`,
    nextStep: 'Compare `CACHE_URL` and the token TTL in the web container with the bot config (`redis.dbs.cache`).',
    remediations: ['fix-cache-url'],
    ref: 'target-system §2.2, check 5',
  },
  {
    id: 'wrong-cache-db',
    title: 'Tokens are stored in the fallback cache DB (CACHE_URL unset)',
    severity: 'degraded',
    signals: ['wrong-cache-db'],
    explains: ['token-storage'],
    why: (m) =>
      `Fresh tokens land in the fallback DB instead of the configured cache DB (${list(m)}): \`CACHE_URL\` is unset, so web and celery may not share a cache.`,
    nextStep: 'Set `CACHE_URL=redis://redis:6379/2` for web, celery and celery-beat, then restart the backend.',
    remediations: ['fix-cache-url', 'restart-backend'],
    ref: 'target-system §2.2, §4, check 5',
  },
  {
    id: 'handshake-rejected',
    title: 'Chat handshakes are refused (403)',
    severity: 'down',
    signals: ['handshake-403', 'origin-rejections'],
    when: (f) => f.hasSignal('handshake-403'),
    explains: ['chat-handshake', 'backend-logs'],
    why: (m, f) =>
      `A fresh, stored token is refused with 403 (${list(m)})${
        f.hasSignal('origin-rejections') ? '; the logs show `WebSocket rejected - unauthorized origin`' : ''
      }. Every pre-accept rejection (origin, auth, limits) looks like 403 on the wire.`,
    nextStep: 'Read `/ws logs web --grep "rejected|Invalid|Unauthenticated"`; if it is the origin, add the front end to `CORS_ALLOWED_ORIGINS`.',
    remediations: ['fix-origins'],
    ref: 'guide Issue 5 / target-system §3, F7, check 6-7',
  },
  {
    id: 'web-restart-loop',
    title: 'The backend is restarting in a loop',
    severity: 'down',
    signals: ['web-restart-loop', 'asgi-reload-loop'],
    explains: HTTP_AND_WS,
    why: (m) => `The web container keeps restarting or reloading (${list(m)}); every restart drops all sockets.`,
    nextStep: 'Find the crash in `/ws logs web --since 5m`; a reload loop means a file keeps changing under uvicorn --reload.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 1 cause 2 / target-system check 12',
  },
  {
    id: 'handshake-hangs',
    title: 'Chat handshakes never complete',
    severity: 'down',
    signals: ['handshake-timeout'],
    explains: ['chat-handshake'],
    why: (m) => `The chat socket opens no \`connected\` frame in time (${list(m)}): the consumer is stuck before accept (DB user lookup, channel layer) or a proxy holds the upgrade.`,
    nextStep: 'Check `/ws logs web` around the probe for `WebSocket connect attempt` without `WebSocket connected`, and the db and redis checks.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 4 / target-system check 6',
  },
  {
    id: 'slow-path',
    title: 'Token or handshake is slow',
    severity: 'degraded',
    signals: ['slow-handshake', 'slow-token'],
    explains: ['chat-handshake', 'token-issuance'],
    why: (m) => `Sockets still open, but slowly (${list(m)}); a client that takes longer than the 60 s token TTL fails.`,
    nextStep: 'Look for a slow DB query or a loaded worker (`/ws logs web`); compare with the history (`/ws history chat-handshake`).',
    remediations: [],
    ref: 'guide Issue 4 / target-system check 4, 6',
  },
  {
    id: 'probe-login-failed',
    title: 'The bot cannot log in as its probe user',
    severity: 'degraded',
    signals: ['credentials', 'no-probe-credentials', 'login-no-cookie', 'login-limited', 'login-error'],
    explains: TOKEN_PATH,
    why: (m) => `The token and handshake checks need a logged-in probe user (${list(m)}); the stack may be fine, but they cannot tell.`,
    nextStep: 'Set `WS_DOCTOR_SERVICE_PASSWORD` (or `WS_DOCTOR_<ENV>_SERVICE_PASSWORD`) for `backend.serviceAccount.email`; check the user exists and is active.',
    remediations: [],
    ref: 'target-system §2.1, check 4',
  },
  {
    id: 'heartbeat-unanswered',
    title: 'The chat socket does not answer pings',
    severity: 'degraded',
    signals: ['no-pong', 'handshake-closed', 'handshake-unexpected-frame'],
    explains: ['chat-handshake'],
    why: (m) => `The socket connects but misbehaves after accept (${list(m)}); browsers drop it after ~30 s without a pong.`,
    nextStep: 'Check the consumer answers `{"type":"ping"}` with `{"event":"pong"}` (F5) and look for exceptions in `/ws logs web`.',
    remediations: ['restart-backend'],
    ref: 'target-system F5, check 6',
  },
  {
    id: 'redis-memory',
    title: 'Redis is near its memory limit',
    severity: 'degraded',
    signals: ['redis-memory-high'],
    explains: ['redis'],
    why: (m) => `Redis memory is high (${list(m)}): with \`volatile-lru\` it evicts tokens and channel-group memberships first, so connected sockets silently stop receiving chunks.`,
    nextStep: 'Find what grows (`DBSIZE` per DB in the evidence, `LLEN celery`); raise maxmemory or drain the backlog.',
    remediations: [],
    ref: 'target-system §4, F9, check 9',
  },
  {
    id: 'redis-unreachable-from-bot',
    title: 'The bot cannot reach Redis (the stack can)',
    severity: 'degraded',
    signals: ['redis-down', 'redis-auth'],
    // Only a token the backend just stored in Redis proves the stack's Redis works.
    when: (f) => !stackHurt(f) && f.get('token-issuance')?.status === 'ok',
    explains: ['redis', 'celery-queue', 'ws-counters', 'token-storage'],
    why: (m) =>
      `Redis does not answer the bot (${list(m)}) but tokens are issued and handshakes work, so the stack's Redis is fine. Local compose publishes no Redis port.`,
    nextStep: 'Publish Redis to the bot (e.g. a `ports: ["6379:6379"]` override) or run the bot inside the compose network; set `redis.url`.',
    remediations: [],
    ref: 'target-system §1, §7, check 9',
  },
  {
    id: 'token-reuse-allowed',
    title: 'Connection tokens are not single-use',
    severity: 'degraded',
    signals: ['token-reuse-allowed', 'token-not-consumed'],
    explains: ['chat-handshake'],
    why: (m) => `A used token opened a second socket (${list(m)}): a leaked URL can be replayed for 60 s.`,
    nextStep: 'Check that token validation deletes the key (`ws_connection_tokens.py`); flush outstanding tokens.',
    remediations: ['flush-connection-tokens'],
    ref: 'target-system §2.2, check 6',
  },
  {
    id: 'celery-down',
    title: 'Celery is not consuming (replies will not arrive)',
    severity: 'degraded',
    signals: ['celery-down', 'celery-backlog'],
    explains: ['celery-queue', 'containers'],
    why: (m) => `The chat task queue is not served (${list(m)}): sockets connect but no chunks come back.`,
    nextStep: 'Restart the celery worker and watch `LLEN celery` drain.',
    remediations: ['restart-celery'],
    ref: 'target-system F8, R3, check 9, 11',
  },
  {
    id: 'frontend-port-conflict',
    title: 'Two front ends compete for the dev port',
    severity: 'degraded',
    signals: ['frontend-port-conflict'],
    explains: ['frontend-conflict'],
    why: (m) => `The compose frontend and a local Vite both want the port (${list(m)}): intermittent 500s and missing messages.`,
    nextStep: 'Stop the compose `frontend` container (or the local Vite) so only one serves the port.',
    remediations: ['stop-frontend'],
    ref: 'guide Issue 2',
  },
  {
    id: 'leaked-counter',
    title: 'Leaked per-user connection counters',
    severity: 'degraded',
    signals: ['leaked-counter'],
    explains: ['ws-counters'],
    why: (m) => `Some \`ws_connections:user:*\` counters sit at the limit (${list(m)}): those users get 403 for up to 24 h in production.`,
    nextStep: 'Clear the listed counters (R4).',
    remediations: ['clear-leaked-counters'],
    ref: 'target-system §3.1, R4, check 9',
  },
  {
    id: 'metrics-path-mismatch',
    title: 'Metrics served on an unexpected path',
    severity: 'degraded',
    signals: ['metrics-path-mismatch', 'metrics-missing', 'scrape-failing', 'scrape-job-missing'],
    explains: ['metrics', 'prometheus'],
    why: (m) => `Monitoring is blind (${list(m)}): django-prometheus resolves at \`/metricsmetrics\` while Prometheus scrapes \`/metrics\`.`,
    nextStep: 'Point the scrape job at `/metricsmetrics`, or mount the exporter at `""` in `config/urls.py`.',
    remediations: ['fix-metrics-path'],
    ref: 'target-system §6, R12, check 15',
  },
];
