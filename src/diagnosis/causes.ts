/**
 * The causes diagnosis knows, most fundamental first. Each names the signals that reveal it (emitted by checks in
 * Finding.signals), the checks whose failures it explains, the next step and the remediations that fit.
 *
 * Order matters: when two causes match, the earlier one is the root cause and explains the later one's checks
 * (Redis down explains the token endpoint's 500 and the 403 handshakes; see target-system §12).
 *
 * Remediation ids (executed by the remediation issue): restart-backend (R1), restart-redis (R2),
 * restart-celery (R3), clear-leaked-counters (R4), flush-connection-tokens (R6), stop-frontend (guide Issue 2),
 * and manual ones: fix-ssl-redirect (R8: SECURE_PROXY_SSL_HEADER), fix-proxy-forwarded-proto (the proxy must send
 * X-Forwarded-Proto), set-bot-forwarded-proto (the bot's backend.forwardedProto), fix-origins (R10),
 * fix-metrics-path (R12), mount-metrics-exporter, fix-cache-url, fix-channel-layer-url, fix-allowed-hosts.
 * A cause offers only remediations that fix *it*: none at all is better than a restart that does not help.
 *
 * Signals a channel-layer round-trip check may raise (see `channel-layer-error`): `channel-layer-error` when the
 * group_send → socket frame round trip fails; its `ok` proves the channel layer and refutes the inference below.
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
  /** Remediations that depend on the evidence (replace `remediations` when given). */
  remediationsFor?(matched: Finding[], f: FindingIndex): string[];
  nextStepFor?(matched: Finding[], f: FindingIndex): string;
  /** Checks whose `ok` contradicts this cause: when all of them passed, the cause is not named. */
  refutedBy?: readonly string[];
}

export interface FindingIndex {
  get(check: string): Finding | undefined;
  hasSignal(signal: string): boolean;
  withSignal(signal: string): Finding[];
  failing(): Finding[];
  ok(check: string): boolean;
}

const HTTP_AND_WS = ['http-liveness', 'db-health', 'ws-edge', 'token-issuance', 'token-storage', 'chat-handshake', 'metrics', 'prometheus', 'backend-logs', 'channel-layer'];
const TOKEN_PATH = ['token-issuance', 'token-storage', 'chat-handshake', 'channel-layer'];
const DJANGO_VIEWS = ['db-health', 'token-issuance', 'token-storage', 'chat-handshake', 'metrics', 'prometheus', 'channel-layer'];
const REDIS_DEPENDENT = ['redis', 'celery-queue', 'ws-counters', ...TOKEN_PATH, 'db-health', 'backend-logs'];

/** "a, b: same summary; c: other summary" — findings that say the same thing are named together. */
const list = (fs: Finding[]): string => {
  const bySummary = new Map<string, string[]>();
  for (const f of fs) bySummary.set(f.summary, [...(bySummary.get(f.summary) ?? []), f.check]);
  return [...bySummary].map(([summary, checks]) => `${checks.join(', ')}: ${summary}`).join('; ');
};

/** Whether the stack itself (not just the bot's view of Redis) shows the damage. */
const stackHurt = (f: FindingIndex): boolean =>
  [
    'token-endpoint-500',
    'token-endpoint-503',
    'token-or-cache-500',
    'login-error',
    'handshake-403',
    'handshake-500',
    'handshake-timeout',
    'channel-layer-error',
    'redis-container-down',
    'timeout',
  ].some((s) => f.hasSignal(s));

/**
 * The bot reaches Redis and it answers (so a failing web cache is the web process's configuration). A slow or
 * full-ish Redis (warn) still answers: only an unreachable, hung or refusing one does not.
 */
const botRedisOk = (f: FindingIndex): boolean => {
  const r = f.get('redis');
  return r !== undefined && (r.status === 'ok' || (r.status === 'warn' && !r.signals?.some((s) => ['redis-down', 'redis-timeout', 'redis-auth', 'redis-oom'].includes(s))));
};

const hasRefusal = (kind: string) => (f: FindingIndex) => f.hasSignal(`handshake-403-${kind}`);

export const CAUSES: readonly CauseRule[] = [
  {
    id: 'stack-not-running',
    title: 'Nothing of the stack answers (not running, or the bot points elsewhere)',
    severity: 'down',
    signals: ['backend-down', 'web-container-down'],
    // Refused by the backend *and* by Redis: the usual picture of a stack that is not up, or a wrong config.
    when: (f) =>
      f.withSignal('backend-down').some((x) => !x.signals?.includes('timeout')) &&
      f.withSignal('redis-down').some((x) => !x.signals?.includes('redis-timeout')) &&
      !f.hasSignal('token-endpoint-500') &&
      !f.ok('http-liveness'),
    explains: [...new Set([...HTTP_AND_WS, ...REDIS_DEPENDENT])],
    why: (m, f) =>
      `Neither the backend nor Redis accepts connections (${list([...m.slice(0, 2), ...f.withSignal('redis-down').slice(0, 1)])}).`,
    nextStep: 'Start the stack (`make up`, or `docker compose up -d`) and check `/ws check containers`; if it runs, point the bot at it (`backend.url`, `redis.url`; see `ws-doctor config explain`).',
    remediations: [],
    ref: 'guide Quick Diagnostics 1 / target-system §7',
  },
  {
    id: 'web-restart-loop',
    title: 'The backend container is restarting in a loop',
    severity: 'down',
    signals: ['web-restart-loop'],
    explains: [...HTTP_AND_WS, 'container-restarts', 'containers'],
    why: (m) => `The engine shows the web container restarting (${list(m)}); while it loops every HTTP and WebSocket check fails and every restart drops all sockets.`,
    nextStep: 'Read the crash in `/ws logs web --since 5m` (the last lines before each start: a traceback, a failed migration, a missing setting) and fix that; restarting again does not help a crash loop.',
    remediations: [],
    ref: 'guide Issue 1 cause 2 / target-system check 12',
  },
  {
    id: 'backend-down',
    title: 'The backend (web) is not answering',
    severity: 'down',
    signals: ['backend-down', 'web-container-down', 'asgi-down'],
    // Timeouts are attributed below (to Redis when Redis hangs, to the backend only when its constant path hangs).
    when: (f) => ['backend-down', 'web-container-down', 'asgi-down'].some((s) => f.withSignal(s).some((x) => !x.signals?.includes('timeout') && x.evidence.error !== 'timeout')),
    explains: HTTP_AND_WS,
    why: (m) => `The Django ASGI server does not answer: ${list(m)}. Every HTTP and WebSocket check depends on it.`,
    nextStep: 'Look at `/ws logs web` for a crash or migration traceback, then restart the backend.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 1 / target-system check 1, 14',
  },
  {
    id: 'redis-hung',
    title: 'Redis accepts connections but does not answer',
    severity: 'down',
    signals: ['redis-timeout'],
    // The bot's Redis timing out while the stack works is the bot's network path (see redis-unreachable-from-bot).
    when: (f) => !f.ok('token-issuance'),
    explains: [...REDIS_DEPENDENT, 'db-health', 'ws-edge', 'metrics', 'prometheus'],
    why: (m, f) => {
      const hung = ['db-health', 'token-issuance', 'chat-handshake'].filter((c) => f.get(c)?.signals?.includes('timeout') || f.get(c)?.signals?.includes('handshake-timeout'));
      const live = f.ok('http-liveness') ? ' The constant /api/v1/health/ still answers, so the web process itself is alive.' : '';
      return `Redis holds connections without replying (${list(m)}).${hung.length ? ` Requests that read the cache hang with it (${hung.join(', ')}).` : ''}${live}`;
    },
    nextStep: 'Look at Redis itself (`redis-cli -n 2 PING` from inside the compose network; a `CLIENT PAUSE`, a long `DEBUG SLEEP`/blocking script, or a stuck host); restart Redis if it does not recover.',
    remediations: ['restart-redis'],
    ref: 'target-system §4, check 9',
  },
  {
    id: 'backend-hung',
    title: 'The backend accepts connections but never answers',
    severity: 'down',
    signals: ['timeout'],
    // Only when even the constant liveness answer hangs: that one touches neither Redis nor the DB.
    when: (f) => f.get('http-liveness')?.signals?.includes('timeout') === true && !f.hasSignal('redis-timeout'),
    explains: HTTP_AND_WS,
    why: (m) =>
      `Requests to the backend time out with the port open, the constant /api/v1/health/ included (${m.map((x) => x.check).join(', ')}): the ASGI worker is blocked or the proxy holds the connection.`,
    nextStep: 'Check `/ws logs web` for a hung request or deadlock; restart the backend if it does not recover.',
    remediations: ['restart-backend'],
    ref: 'guide Issue 4 / target-system check 1',
  },
  {
    id: 'django-requests-hang',
    title: 'Django requests hang past the middleware (the process and Redis answer)',
    severity: 'down',
    signals: ['timeout'],
    // The constant liveness answer comes back and Redis answers the bot, yet views time out: the DB, the web
    // process's own cache connection, or an overloaded worker pool — not something a restart is known to fix.
    when: (f) => f.ok('http-liveness') && !f.hasSignal('redis-timeout') && ['db-health', 'token-issuance'].some((c) => f.get(c)?.signals?.includes('timeout')),
    explains: [...DJANGO_VIEWS, 'backend-logs'],
    why: (m) =>
      `Requests that go through Django's middleware and views time out (${list(m)}) while /api/v1/health/ (answered before them) and Redis answer: a view waits on the database, on the web process's own cache connection, or on a saturated worker pool.`,
    nextStep: 'Check the db container and `/ws logs web` for slow queries or a pool limit ("QueuePool limit"), and the web process\'s `CACHE_URL` host.',
    remediations: [],
    ref: 'guide Issue 4 / target-system check 1-2',
  },
  {
    id: 'redis-oom',
    title: 'Redis is full and refuses writes (maxmemory with noeviction)',
    severity: 'down',
    signals: ['redis-oom', 'handshake-500-redis-oom'],
    explains: [...REDIS_DEPENDENT, 'redis'],
    why: (m) =>
      `Redis is at maxmemory with \`maxmemory-policy noeviction\` (${list(m)}): nothing is evicted, every write fails with "OOM command not allowed" — throttles, tokens and group_add, so logins, tokens and handshakes fail.`,
    nextStep: 'Free memory or raise the limit (`CONFIG SET maxmemory …`, or a policy such as `volatile-lru`); find what grows with `DBSIZE` per DB and `LLEN celery`.',
    remediations: [],
    ref: 'target-system §4, §13, check 9',
  },
  {
    id: 'redis-down',
    title: 'Redis is down',
    severity: 'down',
    signals: ['redis-down', 'redis-container-down'],
    when: (f) => stackHurt(f) && !f.hasSignal('redis-timeout'),
    explains: REDIS_DEPENDENT,
    why: (m) =>
      `Redis does not answer (${list(m)}). The token endpoint reads its throttle from the cache DB first, so it returns 500, and chat handshakes are refused with 403.`,
    nextStep: 'Restart Redis; the backend recovers by itself once Redis answers again (target-system §12), and clients reconnect with fresh tokens.',
    remediations: ['restart-redis'],
    ref: 'guide Issue 1 cause 1 / target-system §12, R2',
  },
  {
    id: 'ssl-redirect-no-forwarded-proto',
    title: 'Django redirects plain HTTP to itself: requests arrive without X-Forwarded-Proto',
    severity: 'down',
    signals: ['ssl-proxy-header-missing'],
    explains: HTTP_AND_WS,
    why: (m) =>
      `Every Django view answers 301 to the same URL on https, and answers normally once the request carries \`X-Forwarded-Proto: https\` (${list(m)}). The settings already trust that header (SECURE_PROXY_SSL_HEADER, config/settings.py): what is missing is the header itself.`,
    nextStepFor: (_m, f) =>
      viaTls(f)
        ? 'Make the proxy in front of Django send `X-Forwarded-Proto: https` (nginx `proxy_set_header X-Forwarded-Proto $scheme;`, ALB/CloudFront forward it); SECURE_PROXY_SSL_HEADER needs no change.'
        : 'The bot reaches Django directly over plain HTTP, behind the TLS proxy users go through: set `backend.forwardedProto: https` for this environment (or point `backend.url` at the proxy).',
    nextStep: 'Send `X-Forwarded-Proto: https` to Django (proxy), or set the bot\'s `backend.forwardedProto: https`.',
    remediationsFor: (_m, f) => (viaTls(f) ? ['fix-proxy-forwarded-proto'] : ['set-bot-forwarded-proto']),
    remediations: [],
    ref: 'target-system §9.1, §13, F1',
  },
  {
    id: 'ssl-redirect-header-not-trusted',
    title: 'Django no longer trusts X-Forwarded-Proto (SSL redirect loop)',
    severity: 'down',
    signals: ['ssl-setting-ignores-header'],
    explains: HTTP_AND_WS,
    why: (m) =>
      `Django redirects to itself on https even when the request says \`X-Forwarded-Proto: https\` (${list(m)}): SECURE_PROXY_SSL_HEADER was changed or removed, so no request counts as secure — the 2025-12-12 incident.`,
    nextStep: 'Restore `SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")` in config/settings.py (emergency: `SECURE_SSL_REDIRECT=False`) and redeploy.',
    remediations: ['fix-ssl-redirect'],
    ref: 'target-system §9.1, §13, R8',
  },
  {
    id: 'ssl-redirect',
    title: 'SSL redirect (301 to the same URL on https)',
    severity: 'down',
    signals: ['ssl-redirect', 'ssl-redirect-suspected'],
    // The log ratio alone never outvotes probes that passed.
    refutedBy: ['db-health', 'token-issuance', 'chat-handshake'],
    explains: HTTP_AND_WS,
    why: (m) => `Requests are redirected to themselves on https (${list(m)}), so no handshake reaches the app (the 2025-12-12 incident).`,
    nextStep: 'Run `/ws check db-health`: it probes with and without `X-Forwarded-Proto` and names which side lacks it (the proxy, or SECURE_PROXY_SSL_HEADER).',
    remediations: [],
    ref: 'target-system §9.1, F1',
  },
  {
    id: 'disallowed-host',
    title: 'Django refuses the Host header (ALLOWED_HOSTS)',
    severity: 'down',
    signals: ['disallowed-host'],
    explains: [...DJANGO_VIEWS, 'backend-logs'],
    why: (m) =>
      `Every Django view answers 400 Bad Request for the Host the bot sends (${list(m)}): DisallowedHost, the host is not in ALLOWED_HOSTS. /api/v1/health/ answers before that check and WebSockets do not check the host.`,
    nextStep: 'Add the host name clients use to `ALLOWED_HOSTS` (env of the web service) and restart web; if only the bot uses this name, point `backend.url` at one Django serves.',
    remediations: ['fix-allowed-hosts'],
    ref: 'target-system §13',
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
    id: 'web-cache-unreachable',
    title: "The web process's cache does not work (CACHE_URL), while Redis itself answers",
    severity: 'down',
    signals: ['token-or-cache-500', 'login-error', 'token-endpoint-500', 'token-endpoint-503', 'handshake-403-cache-error'],
    when: (f) => botRedisOk(f) && !f.hasSignal('db-down'),
    explains: [...TOKEN_PATH, 'db-health', 'backend-logs'],
    why: (m) =>
      `Django fails where it reads its cache before any view logic — the login rate limit and the DRF throttle (${list(m)}) — while the Redis the bot is configured with answers. The web process's \`CACHE_URL\` points at a Redis it cannot use; the token view is never reached.`,
    nextStep: 'Compare `CACHE_URL` in the web container (`docker compose exec web env | grep CACHE_URL`) with the Redis that runs (`redis://redis:6379/2` locally), fix it and restart web.',
    remediations: ['fix-cache-url'],
    ref: 'target-system §2.1, §4, §13',
  },
  {
    id: 'token-service-error',
    title: 'The token service raises inside the view',
    severity: 'down',
    signals: ['token-generation-error'],
    explains: TOKEN_PATH,
    why: (m) => `Login, throttles and the cache work, but the view's own token generation raises (${list(m)}): no browser can open a socket.`,
    nextStep: 'Read the exception: `/ws logs web --grep "Token generation failed"` (core/auth/views_token.py logs it with its traceback).',
    remediations: [],
    ref: 'target-system §2.1',
  },
  {
    id: 'chat-route-missing',
    title: 'The chat WebSocket route is missing (handshake 500)',
    severity: 'down',
    signals: ['handshake-500-no-route'],
    explains: ['chat-handshake', 'backend-logs', 'channel-layer'],
    why: (m) => `The chat handshake is a 500 and so is the same path without any token (${list(m)}): the URL router has no route for it ("No route found for path"), Redis is not involved.`,
    nextStep: 'Check `backend.paths.wsChat` against the deployed routing (`core/agents/routing.py` → `ws/chat/<conversation_id>/`); a deploy that dropped the route needs a fix and redeploy.',
    remediations: [],
    ref: 'target-system §3, §13',
  },
  {
    id: 'channel-layer-error',
    title: "The web process's channel layer fails (group_add before accept)",
    severity: 'down',
    signals: ['channel-layer-error', 'handshake-500-redis-error', 'handshake-500-in-consumer'],
    // Proven by the channel-layer round trip when it ran; inferred (and said so) otherwise. Its pass refutes it.
    refutedBy: ['channel-layer'],
    when: (f) => botRedisOk(f),
    explains: ['chat-handshake', 'backend-logs', 'channel-layer'],
    why: (m, f) =>
      f.hasSignal('channel-layer-error')
        ? `The channel-layer round trip fails (${list(m)}) while Redis answers the bot: the web process's channel layer (REDIS_URL, DB 3) is not usable.`
        : `The chat handshake ends in HTTP 500 with the route present, the cache working and Redis answering the bot (${list(m)}); the one Redis call left before accept is group_add on the channel layer — inferred, the channel-layer round trip did not prove it.`,
    nextStep: 'Check `REDIS_URL` of the web service (channel layer, DB 3) and `/ws logs web --grep "Exception inside application"` for the exception.',
    remediations: ['fix-channel-layer-url'],
    ref: 'target-system §3, §12, check 6, 10',
  },
  {
    id: 'channel-group-missing',
    title: "The server's channel layer is not the one Celery publishes to",
    severity: 'down',
    signals: ['channel-group-missing', 'channel-layer-not-consumed'],
    explains: ['channel-layer', 'backend-logs'],
    why: (m) =>
      `The probe socket connects, but its channel is not in \`asgi:group:chat_<id>\` of the channel layer the bot (and Celery) use, or the server never reads what is published there (${list(m)}): the web process's channel layer is another Redis/DB/prefix, so replies never arrive ("live but empty chat").`,
    nextStep: 'Make `REDIS_URL` (channel layer) of web and celery the same Redis and DB (3 locally; `.env.example` without a DB means DB 0), then restart web.',
    remediations: ['fix-channel-layer-url'],
    ref: 'target-system §4, check 10; guide Issue 3',
  },
  {
    id: 'chat-message-not-forwarded',
    title: 'The chat consumer does not forward channel-layer messages',
    severity: 'down',
    signals: ['chat-message-not-forwarded'],
    explains: ['channel-layer', 'backend-logs'],
    why: (m) => `A \`chat.message\` published to the probe socket's group was taken off the channel layer but no frame reached the socket (${list(m)}): the consumer's \`chat_message\` handler is missing or failing.`,
    nextStep: 'Check `ChatConsumer.chat_message` in core/agents/consumers.py and `/ws logs web --grep "WS_SEND|Exception inside application"`.',
    remediations: [],
    ref: 'target-system §3.1, check 10',
  },
  {
    id: 'channel-layer-slow',
    title: 'The channel-layer round trip is slow',
    severity: 'degraded',
    signals: ['channel-layer-slow'],
    explains: ['channel-layer'],
    why: (m) => `Messages reach the socket, but late (${list(m)}): streamed chunks arrive in bursts.`,
    nextStep: 'Look at Redis latency (`/ws check redis`) and the web process load.',
    remediations: [],
    ref: 'target-system check 10',
  },
  {
    id: 'origin-not-allowed',
    title: 'The Origin the bot sends is not allowed (CORS_ALLOWED_ORIGINS)',
    severity: 'down',
    signals: ['handshake-403-origin'],
    explains: ['chat-handshake', 'backend-logs'],
    why: (m) => `The chat handshake is refused for its Origin (${list(m)}). Browsers send the front end's origin, so they are refused the same way.`,
    nextStep: 'Add the front end\'s origin to `CORS_ALLOWED_ORIGINS` of the web service and restart web; if `backend.origin` is not what browsers send, fix the bot\'s config instead.',
    remediations: ['fix-origins'],
    ref: 'guide Issue 5 / target-system §3.1, F7',
  },
  {
    id: 'probe-user-connection-limit',
    title: "The probe user's connection counter is at the limit (leaked counter)",
    severity: 'down',
    signals: ['handshake-403-connection-limit'],
    explains: ['chat-handshake', 'ws-counters', 'backend-logs'],
    why: (m) =>
      `The handshake is refused by the concurrency limit (${list(m)}): \`ws_connections:user:<id>\` counts sockets that are gone (a server died without running disconnect). Real users with leaked counters get the same 403 for up to 24 h.`,
    nextStep: 'Clear the leaked counter (R4: `DEL allthrive:1:ws_connections:user:<id>` in the cache DB) and see `/ws check ws-counters` for other users.',
    remediations: ['clear-leaked-counters'],
    ref: 'target-system §3.1, §13, R4',
  },
  {
    id: 'connection-rate-limit',
    title: 'The probe user hit the connection rate limit (10 per 60 s)',
    severity: 'degraded',
    signals: ['handshake-403-rate-limit'],
    explains: ['chat-handshake', 'backend-logs'],
    why: (m) => `The handshake is refused by the connection-rate limit (${list(m)}): more than 10 new sockets for this user in the current 60 s window.`,
    nextStep: 'Wait for the window to pass (≤ 60 s) and find what reconnects in a loop as this user (another bot, a script, status runs more than ~10 a minute).',
    remediations: [],
    ref: 'target-system §3.1, §13',
  },
  {
    id: 'token-expires-before-use',
    title: 'Connection tokens expire before they are used',
    severity: 'down',
    signals: ['handshake-403-token-expired'],
    explains: ['chat-handshake', 'token-storage', 'backend-logs'],
    why: (m, f) =>
      `The server refuses a token it just issued as "Invalid or expired" (${list(m)}); ${
        f.hasSignal('token-ttl-short') || f.hasSignal('token-not-stored') ? 'the key lives far shorter than the advertised expires_in' : 'its TTL ran out before the handshake'
      }.`,
    nextStep: 'Check `CONNECTION_TOKEN_TTL` (core/agents/ws_connection_tokens.py, 60) and Redis eviction (`maxmemory-policy`, `evicted_keys`).',
    remediations: [],
    ref: 'target-system §2.2, §13, check 5-6',
  },
  {
    id: 'server-cannot-find-token',
    title: 'The server does not find the tokens it stores',
    severity: 'down',
    signals: ['handshake-403-token-unknown'],
    explains: ['chat-handshake', 'backend-logs'],
    why: (m) => `A token the bot saw in the cache DB is refused as unknown (${list(m)}): the process serving the handshake reads another cache than the one that issued the token.`,
    nextStep: 'Make every web process use the same `CACHE_URL` (replicas, the ASGI and the WSGI side), then restart web.',
    remediations: ['fix-cache-url'],
    ref: 'target-system §2.2, check 5-6',
  },
  {
    id: 'probe-user-inactive',
    title: 'The probe user is inactive or gone',
    severity: 'degraded',
    signals: ['handshake-403-user-inactive'],
    explains: ['chat-handshake'],
    why: (m) => `The middleware refuses the probe user after validating its token (${list(m)}); the stack may be fine for others.`,
    nextStep: 'Re-activate `backend.serviceAccount.email` in the Django admin.',
    remediations: [],
    ref: 'target-system §2.3',
  },
  {
    id: 'handshake-refused',
    title: 'Chat handshakes are refused (403, cause not visible to the bot)',
    severity: 'down',
    signals: ['handshake-403-unexplained'],
    explains: ['chat-handshake', 'backend-logs'],
    why: (m) => `A fresh, stored token is refused with 403 (${list(m)}). Every pre-accept rejection looks like 403 on the wire.`,
    nextStep: 'Read `/ws logs web --grep "rejected|Invalid or expired|Unauthenticated|limit exceeded"` around the probe (enable `docker` so the bot reads them itself).',
    remediations: [],
    ref: 'guide Issue 5 / target-system §3, check 6-7',
  },
  {
    id: 'bot-cache-view-mismatch',
    title: 'The bot does not see the tokens the web process stores',
    severity: 'degraded',
    signals: ['token-not-stored'],
    // The handshake with that token working proves the web process stored it — somewhere the bot does not look.
    when: (f) => f.ok('chat-handshake'),
    explains: ['token-storage'],
    why: (m) => `Issued tokens are in neither configured cache DB (${list(m)}), yet the handshake with them works: the bot's \`redis.url\`/\`redis.dbs.cache\` is not the Redis/DB of the web process's CACHE_URL.`,
    nextStep: 'Point the bot at the web process\'s cache (`redis.url`, `redis.dbs.cache`; see `ws-doctor config explain`).',
    remediations: [],
    ref: 'target-system §2.2, check 5',
  },
  {
    id: 'token-not-stored',
    title: 'Issued tokens are not in the cache DB',
    severity: 'down',
    signals: ['token-not-stored'],
    refutedBy: ['token-storage'],
    when: (f) => !f.ok('chat-handshake'),
    explains: TOKEN_PATH,
    why: (m) => `The endpoint returns a token that is in no cache DB the bot can see (${list(m)}) and the handshake could not show whether the server finds it.`,
    nextStep: 'Compare `CACHE_URL` and the token TTL in the web container with the bot config (`redis.dbs.cache`).',
    remediations: [],
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
    nextStep: 'Set `CACHE_URL=redis://redis:6379/2` for web, celery and celery-beat, then restart them.',
    remediations: ['fix-cache-url'],
    ref: 'target-system §2.2, §4, check 5',
  },
  {
    id: 'token-ttl-short',
    title: 'Connection tokens live far shorter than advertised',
    severity: 'degraded',
    signals: ['token-ttl-short'],
    explains: ['token-storage'],
    why: (m) => `The token key's TTL is far below the endpoint's \`expires_in\` (${list(m)}): a client that takes longer than that to open its socket gets 403.`,
    nextStep: 'Restore `CONNECTION_TOKEN_TTL = 60` in core/agents/ws_connection_tokens.py (the view advertises 60 regardless).',
    remediations: [],
    ref: 'target-system §2.2, §13, check 5',
  },
  {
    id: 'handshake-hangs',
    title: 'Chat handshakes never complete',
    severity: 'down',
    signals: ['handshake-timeout'],
    when: (f) => !f.hasSignal('redis-timeout'),
    explains: ['chat-handshake'],
    why: (m) => `The chat socket opens no \`connected\` frame in time (${list(m)}) while Redis answers: the consumer is stuck before accept (DB user lookup) or a proxy holds the upgrade.`,
    nextStep: 'Check `/ws logs web` around the probe for `WebSocket connect attempt` without `WebSocket connected`, and the db check; restart the backend if a worker is stuck.',
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
    signals: ['credentials', 'no-probe-credentials', 'login-no-cookie', 'login-limited'],
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
    remediations: [],
    ref: 'target-system F5, check 6',
  },
  {
    id: 'celery-down',
    title: 'The Celery worker is not running (replies will not arrive)',
    severity: 'down',
    signals: ['celery-down'],
    explains: ['celery-queue', 'containers', 'container-restarts'],
    why: (m) => `The celery service is down (${list(m)}): sockets connect, but no chat task runs, so no reply comes back. The README counts celery as critical.`,
    nextStep: 'Restart the celery worker and watch `LLEN celery` drain.',
    remediations: ['restart-celery'],
    ref: 'target-system F8, R3, check 9, 11',
  },
  {
    id: 'celery-backlog',
    title: 'The Celery queue is backing up',
    severity: 'degraded',
    signals: ['celery-backlog'],
    explains: ['celery-queue'],
    why: (m) => `Tasks wait in queue celery (${list(m)}) with no worker down: workers are too slow or stuck (LLM hang, DB pool).`,
    nextStep: 'Look at the worker: `celery -A config inspect active`, its logs (`/ws logs celery`); scale or unstick before restarting.',
    remediations: [],
    ref: 'target-system F8, check 9, 11',
  },
  {
    id: 'redis-memory',
    title: 'Redis is near its memory limit',
    severity: 'degraded',
    signals: ['redis-memory-high'],
    explains: ['redis'],
    why: (m) => `Redis memory is high (${list(m)}); with an eviction policy tokens and channel-group memberships are candidates, with noeviction writes fail once full.`,
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
    nextStep: 'Check that validation deletes the key (`validate_and_consume_token` in core/agents/ws_connection_tokens.py) and redeploy.',
    remediations: [],
    ref: 'target-system §2.2, check 6',
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
    id: 'metrics-not-mounted',
    title: 'No metrics exporter is mounted',
    severity: 'degraded',
    signals: ['metrics-missing'],
    explains: ['metrics', 'prometheus'],
    why: (m) => `Nothing answers with django metrics on any probed path (${list(m)}): django-prometheus is not installed or not in the URLconf, so there is nothing to scrape.`,
    nextStep: "Add `include('django_prometheus.urls')` to config/urls.py (and the middleware), then point the scrape at the path it serves.",
    remediations: ['mount-metrics-exporter'],
    ref: 'target-system §6, check 15',
  },
  {
    id: 'metrics-path-mismatch',
    title: 'Metrics served on another path than Prometheus scrapes',
    severity: 'degraded',
    signals: ['metrics-path-mismatch', 'scrape-failing', 'scrape-job-missing'],
    explains: ['metrics', 'prometheus'],
    why: (m) => `Monitoring is blind (${list(m)}): django-prometheus resolves at \`/metricsmetrics\` while Prometheus scrapes \`/metrics\`.`,
    nextStep: 'Point the scrape job at `/metricsmetrics`, or mount the exporter at `""` in `config/urls.py`.',
    remediations: ['fix-metrics-path'],
    ref: 'target-system §6, R12, check 15',
  },
  {
    id: 'asgi-reload-loop',
    title: 'The ASGI server keeps restarting (log)',
    severity: 'degraded',
    signals: ['asgi-reload-loop', 'asgi-restart-loop'],
    explains: ['backend-logs'],
    why: (m, f) =>
      f.hasSignal('asgi-reload-loop')
        ? `uvicorn --reload restarted the app several times in the log window (${list(m)}): a file keeps changing in the bind mount, and every reload drops all sockets.`
        : `The server started several times in the log window (${list(m)}): the process exits and is started again; every start drops all sockets.`,
    nextStepFor: (_m, f) =>
      f.hasSignal('asgi-reload-loop')
        ? 'Find what writes into the watched tree (logs/, generated files) and exclude it from the reloader.'
        : 'Read the lines before each start in `/ws logs web --since 10m` for the exit reason.',
    nextStep: 'Read the lines before each start in `/ws logs web --since 10m`.',
    remediations: [],
    ref: 'guide Issue 1 cause 2 / target-system check 14',
  },
  {
    id: 'app-exceptions',
    title: 'The backend logs exceptions',
    severity: 'degraded',
    signals: ['asgi-exceptions'],
    explains: ['backend-logs'],
    why: (m) => `The web log has "Exception inside application" or tracebacks in the window (${list(m)}).`,
    nextStep: 'Read them: `/ws logs web --grep "Exception inside application|Traceback|Error"`.',
    remediations: [],
    ref: 'target-system §5, §12, check 13',
  },
  {
    id: 'clients-invalid-tokens',
    title: 'Clients present invalid or expired connection tokens',
    severity: 'degraded',
    signals: ['token-expiry-or-db-mismatch'],
    explains: ['backend-logs'],
    why: (m, f) =>
      `Other clients' handshakes carry tokens the server does not know (${list(m)})${
        f.ok('token-storage') && f.ok('chat-handshake') ? "; the bot's own token is stored and accepted, so the cache is fine: these clients reuse or hold tokens too long" : ''
      }.`,
    nextStep: 'Find the clients in `/ws logs web --grep "Invalid or expired"` (a front end caching the token URL, a retry loop replaying it).',
    remediations: [],
    ref: 'target-system §5, check 7, 13',
  },
  {
    id: 'clients-origin-refused',
    title: 'Browsers are refused for their Origin',
    severity: 'degraded',
    signals: ['origin-rejections'],
    explains: ['backend-logs'],
    why: (m) => `Handshakes of other clients are refused with "WebSocket rejected - unauthorized origin" (${list(m)}).`,
    nextStep: 'Read the refused origins in `/ws logs web --grep "unauthorized origin"`; add the real front end to `CORS_ALLOWED_ORIGINS` if it is one of them.',
    remediations: ['fix-origins'],
    ref: 'target-system §3.1, F7, check 13',
  },
  {
    id: 'redis-errors-in-logs',
    title: 'The backend logged Redis errors',
    severity: 'degraded',
    signals: ['redis-errors-in-logs'],
    explains: ['backend-logs'],
    why: (m) => `The web log has Redis errors on the token path (${list(m)}), though the probes pass now.`,
    nextStep: 'Check when they happened (`/ws logs web --grep "Unexpected error validating|WS_TOKEN_API"`) and the redis history (`/ws history redis`).',
    remediations: [],
    ref: 'target-system §5, check 13',
  },
];

/** The bot reached the backend over https (a TLS proxy in front). */
function viaTls(f: FindingIndex): boolean {
  const ev = f.get('db-health')?.evidence;
  return ev?.probedScheme === 'https';
}
