/**
 * Symptom triage (`/ws why <symptom>`): the troubleshooting guide's symptoms, the checks that split each one's
 * causes (only those run), and where the guide's own advice is wrong on the real code (target-system.md, read
 * from allthriveai/allthriveai). Pure data: the command runs the checks and diagnoses their findings.
 */
export interface Symptom {
  id: string;
  /** What people type or say for it (matched case-insensitively, as words or phrases). */
  aliases: readonly string[];
  /** The guide's name for it. */
  title: string;
  /** The causes the checks below tell apart, in words. */
  splits: string;
  checks: readonly string[];
  /** Where the guide's advice is wrong on the real code. */
  guideIsWrong: readonly string[];
}

export const SYMPTOMS: readonly Symptom[] = [
  {
    id: 'offline',
    aliases: ['offline', 'offline badge', 'token 500', 'token-500', 'badge', 'ws-connection-token', 'connection token'],
    title: '"Offline" badge / connection-token request fails (guide Issue 1)',
    splits: 'backend down or restarting, Redis down or hung or full, the web cache (CACHE_URL) broken while Redis is fine, the token service raising, DisallowedHost, SSL redirect, DB down',
    checks: ['http-liveness', 'db-health', 'token-issuance', 'token-storage', 'redis', 'containers', 'container-restarts'],
    guideIsWrong: [
      'The token call is `POST /api/v1/auth/ws-connection-token/` (a GET is 405), not the GET in the guide\'s diagram.',
      'With Redis down the 500 is Django\'s own error page from the DRF throttle, before the view: the view\'s `CACHE_UNAVAILABLE` 503 is not what you see. A wrong `CACHE_URL` gives the same 500 with Redis healthy, so "restart Redis" does not fix it.',
      'An unauthenticated request still gets 401 during a Redis outage: only a logged-in probe sees the failure.',
    ],
  },
  {
    id: 'no-messages',
    aliases: ['no messages', 'messages not displaying', 'not displaying', 'empty chat', 'live but empty', 'no reply', 'no replies', 'chunks', 'no chunks'],
    title: 'Connected, but messages do not display (guide Issue 3)',
    splits: 'Celery down or backed up, the channel layer not the one Celery publishes to, the consumer not forwarding chat.message, group membership lost, the front end',
    checks: ['chat-handshake', 'channel-layer', 'celery-queue', 'containers', 'ws-counters', 'redis', 'backend-logs'],
    guideIsWrong: [
      'The guide\'s `redis-cli keys "asgi:*"` runs on DB 0 (the Celery broker): channel groups live in DB 3 as `asgi:group:chat_<conversation_id>`.',
      'Streamed frames carry the text in `chunk`, not `content`; every Celery event also carries `"type": "chat.message"`.',
      'Vite does not proxy `/ws`: the browser talks to the ASGI server on :8000 directly.',
    ],
  },
  {
    id: 'timeout',
    aliases: ['timeout', 'timeouts', 'connection timeout', 'timed out', 'hangs', 'hang', 'slow'],
    title: 'WebSocket connection timeout (guide Issue 4)',
    splits: 'the backend hung or down, Redis hung (requests that read the cache wait on it), a proxy holding the upgrade, a slow handshake',
    checks: ['http-liveness', 'db-health', 'ws-edge', 'token-issuance', 'chat-handshake', 'redis'],
    guideIsWrong: [
      'The guide\'s `grep -i daphne` finds nothing locally: compose runs uvicorn; Daphne (production) logs `Listening on TCP address`, not "Starting ASGI/Daphne".',
      'A hung Redis makes login, the token and the handshake time out while `/api/v1/health/` still answers: that is Redis, not the backend.',
    ],
  },
  {
    id: 'auth',
    aliases: ['4001', '4003', '4029', '403', 'auth', 'authentication', 'unauthorized', 'forbidden', 'auth failure', 'auth failures', 'rejected'],
    title: '4001 / authentication failures (guide Issue 5)',
    splits: 'origin not allowed, token expired or never found, the connection-rate and concurrency limits (leaked counters), the web cache raising while validating, an inactive user',
    checks: ['token-issuance', 'token-storage', 'chat-handshake', 'ws-counters', 'redis', 'backend-logs'],
    guideIsWrong: [
      'A browser never sees 4001, 4003 or 4029: the consumer closes before accept, and Daphne answers every such refusal with a bare `HTTP/1.1 403 Access denied` at the handshake.',
      'The guide\'s `redis-cli KEYS "ws_conn_token:*"` looks in DB 0 with no prefix and finds nothing: tokens are `allthrive:1:ws_conn_token:<token>` in DB 2 (the cache DB), 60 s, pickled. Its `FLUSHDB` on DB 0 wipes the Celery queue instead.',
      'A missing Origin passes the consumer\'s check; only an Origin outside CORS_ALLOWED_ORIGINS is refused (after the token was consumed).',
    ],
  },
  {
    id: 'duplicates',
    aliases: ['duplicate', 'duplicates', 'duplicated', 'duplicated messages', 'double', 'twice', 'repeated messages'],
    title: 'Duplicated messages (guide Issue 6)',
    splits: 'two sockets in one conversation\'s group (a reconnect that left the old one), a reload/restart loop reconnecting clients, two front ends',
    checks: ['chat-handshake', 'ws-counters', 'container-restarts', 'backend-logs', 'frontend-conflict'],
    guideIsWrong: [
      'Each socket of a conversation is its own member of `asgi:group:chat_<id>` (DB 3): two open tabs or a leaked old socket receive every chunk twice; the guide\'s DB 0 key search cannot show it.',
    ],
  },
  {
    id: 'port-3000',
    aliases: ['port 3000', '3000', 'port', 'port conflict', 'eaddrinuse', 'address already in use', 'vite', 'frontend'],
    title: 'Port 3000 conflict (guide Issue 2)',
    splits: 'the compose frontend container and a local Vite both serving :3000, or another container holding it',
    checks: ['frontend-conflict', 'containers'],
    guideIsWrong: [
      'Vite has no `/ws` proxy (frontend/vite.config.ts): a port conflict breaks the page and API calls, not the WebSocket itself, which goes to :8000.',
    ],
  },
];

/** The symptom a phrase names: an id, an alias, or a phrase containing an alias. */
export function findSymptom(text: string): Symptom | undefined {
  const t = text.trim().toLowerCase().replace(/^["']|["']$/g, '');
  if (!t) return undefined;
  const exact = SYMPTOMS.find((s) => s.id === t || s.aliases.includes(t));
  if (exact) return exact;
  const words = new Set(t.split(/[^a-z0-9-]+/).filter(Boolean));
  // Longest alias first: "token 500" before "500"-like single words.
  const scored = SYMPTOMS.flatMap((s) => s.aliases.map((a) => ({ s, a }))).sort((x, y) => y.a.length - x.a.length);
  return scored.find(({ a }) => (a.includes(' ') ? t.includes(a) : words.has(a)))?.s;
}
