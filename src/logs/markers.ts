/**
 * The log markers of the AllThrive WebSocket path (target-system §5, §12, checks 7, 13, 14). Each marker is
 * an exact text the code logs; `also` must appear on the same line too, `not` must not.
 *
 * The scanner first finds candidate lines with one precompiled regular expression over a whole block of the
 * log (`PREFILTER`), and only then tells candidates apart with this table: noise lines cost no allocation.
 */

export type MarkerKind = 'success' | 'failure' | 'start' | 'info';

export interface Marker {
  readonly id: MarkerId;
  readonly needle: string;
  readonly also?: string;
  readonly not?: string;
  readonly kind: MarkerKind;
  readonly meaning: string;
}

export const MARKERS = [
  // Token endpoint and token service (core/auth/views_token.py, core/agents/ws_connection_tokens.py).
  { id: 'tokenApiGenerated', needle: '[WS_TOKEN_API] Generated connection token', kind: 'success', meaning: 'token issued by the API' },
  { id: 'tokenApiRedisError', needle: '[WS_TOKEN_API] Redis', kind: 'failure', meaning: 'token API could not use Redis (503)' },
  { id: 'tokenApiFailed', needle: '[WS_TOKEN_API] Token generation failed', kind: 'failure', meaning: 'token generation raised (500)' },
  { id: 'tokenGenerated', needle: '[WS_TOKEN] Generated connection token', kind: 'success', meaning: 'token stored' },
  { id: 'tokenConsumed', needle: '[WS_TOKEN] Successfully consumed', kind: 'success', meaning: 'handshake reached Django with a valid token' },
  { id: 'tokenInvalid', needle: '[WS_TOKEN] Invalid or expired token', kind: 'failure', meaning: 'token expired, replayed or in another cache DB' },
  { id: 'tokenEmpty', needle: '[WS_TOKEN] Empty token provided', kind: 'failure', meaning: 'handshake without a token value' },
  // Handshake authentication (core/agents/middleware.py).
  { id: 'authViaToken', needle: '[WS_AUTH] Authenticated via connection token', kind: 'success', meaning: 'handshake authenticated by token' },
  { id: 'authViaJwt', needle: '[WS_AUTH] Authenticated via JWT', kind: 'success', meaning: 'handshake authenticated by JWT' },
  { id: 'authInvalidToken', needle: '[WS_AUTH] Invalid connection token', kind: 'failure', meaning: 'handshake token refused' },
  { id: 'connTokenInvalid', needle: 'Invalid or expired connection token', kind: 'failure', meaning: 'middleware refused the token' },
  { id: 'unexpectedValidating', needle: 'Unexpected error validating', kind: 'failure', meaning: 'token validation raised (usually Redis down)' },
  // Chat consumer (core/agents/consumers.py).
  { id: 'connectAttempt', needle: 'WebSocket connect attempt', kind: 'info', meaning: 'chat handshake reached the consumer' },
  { id: 'originRejected', needle: 'WebSocket rejected - unauthorized origin', kind: 'failure', meaning: 'Origin not allowed (403)' },
  { id: 'unauthenticated', needle: 'Unauthenticated WebSocket connection attempt', kind: 'failure', meaning: 'anonymous chat handshake (403)' },
  { id: 'connected', needle: 'WebSocket connected: user=', kind: 'success', meaning: 'chat session opened' },
  { id: 'disconnected', needle: 'WebSocket disconnected: user=', kind: 'info', meaning: 'chat session closed' },
  { id: 'securityExceeded', needle: '[SECURITY]', also: 'exceeded', kind: 'failure', meaning: 'connection or message limit hit' },
  { id: 'rateLimitExceeded', needle: 'WebSocket connection rate limit exceeded for user', kind: 'failure', meaning: 'connection-rate limit (403)' },
  { id: 'connectionLimitExceeded', needle: 'WebSocket connection limit exceeded for user', kind: 'failure', meaning: 'concurrency limit (403)' },
  { id: 'sentCompleted', needle: '[WS_SENT]', also: 'event=completed', kind: 'success', meaning: 'reply completed' },
  { id: 'sentError', needle: '[WS_SENT]', also: 'event=error', kind: 'failure', meaning: 'error frame sent to a client' },
  { id: 'exceptionInApp', needle: 'Exception inside application', kind: 'failure', meaning: 'ASGI exception (500 at the handshake)' },
  { id: 'uvicornException', needle: 'Exception in ASGI application', kind: 'failure', meaning: 'ASGI exception under uvicorn' },
  { id: 'noRoute', needle: 'No route found for path', kind: 'failure', meaning: 'WebSocket path without a route (500)' },
  { id: 'redisOom', needle: 'OOM command not allowed', kind: 'failure', meaning: 'Redis refused a write (maxmemory, noeviction)' },
  { id: 'disallowedHost', needle: 'Invalid HTTP_HOST header', kind: 'failure', meaning: 'DisallowedHost (ALLOWED_HOSTS)' },
  // ASGI server access lines: uvicorn locally, Daphne in production.
  { id: 'uvicornAccepted', needle: '"WebSocket ', also: '[accepted]', kind: 'success', meaning: 'uvicorn accepted a handshake' },
  { id: 'uvicornRejected', needle: '"WebSocket ', also: '" 403', kind: 'failure', meaning: 'uvicorn answered a handshake with 403' },
  { id: 'uvicornError', needle: '"WebSocket ', also: '" 500', kind: 'failure', meaning: 'uvicorn answered a handshake with 500' },
  { id: 'daphneConnecting', needle: 'WSCONNECTING ', kind: 'info', meaning: 'Daphne saw a handshake' },
  { id: 'daphneConnect', needle: 'WSCONNECT ', kind: 'success', meaning: 'Daphne accepted a handshake' },
  { id: 'daphneReject', needle: 'WSREJECT ', kind: 'failure', meaning: 'Daphne rejected a handshake (403)' },
  { id: 'daphneDisconnect', needle: 'WSDISCONNECT ', kind: 'info', meaning: 'Daphne closed a socket' },
  // ASGI server start-up (check 14) and reloads.
  { id: 'uvicornRunning', needle: 'Uvicorn running on', kind: 'start', meaning: 'uvicorn started' },
  { id: 'appStartupComplete', needle: 'Application startup complete', kind: 'start', meaning: 'ASGI app started (each uvicorn reload)' },
  { id: 'daphneListening', needle: 'Listening on TCP address', kind: 'start', meaning: 'Daphne started' },
  { id: 'reloadDetected', needle: 'detected changes in', kind: 'info', meaning: 'uvicorn --reload saw a file change' },
  { id: 'traceback', needle: 'Traceback (most recent call last)', kind: 'failure', meaning: 'Python traceback' },
] as const satisfies readonly { id: string; needle: string; also?: string; not?: string; kind: MarkerKind; meaning: string }[];

export type MarkerId = (typeof MARKERS)[number]['id'];

export const MARKER_IDS: readonly MarkerId[] = MARKERS.map((m) => m.id);

/**
 * One pass finds every candidate line. Each alternative is a substring every marker above contains
 * (`WS` covers `[WS_*]` and Daphne's `WS*` verbs; `WebSocket` the uvicorn and consumer lines).
 */
export const PREFILTER =
  /WS|WebSocket|Invalid or expired|Unexpected error validating|Uvicorn running|startup complete|Listening on TCP|detected changes|\[SECURITY\]|Traceback \(|Exception in|No route found|OOM command|Invalid HTTP_HOST/g;

/** The marker ids a candidate line carries (usually one; empty for noise). */
export function classifyLine(line: string): MarkerId[] {
  const out: MarkerId[] = [];
  for (const m of MARKERS as readonly Marker[]) {
    if (!line.includes(m.needle)) continue;
    if (m.also !== undefined && !line.includes(m.also)) continue;
    if (m.not !== undefined && line.includes(m.not)) continue;
    out.push(m.id);
  }
  return out;
}

export function markerKind(id: MarkerId): MarkerKind {
  return (MARKERS as readonly Marker[]).find((m) => m.id === id)?.kind ?? 'info';
}

export function emptyCounts(): Record<MarkerId, number> {
  const c = {} as Record<MarkerId, number>;
  for (const id of MARKER_IDS) c[id] = 0;
  return c;
}
