/**
 * From marker counts to a verdict (target-system checks 7, 13, 14; §9.1): the ratios that point at a cause,
 * and the diagnosis signals they raise. Pure: no I/O, so every rule is unit-tested on made-up counts.
 */
import type { MarkerId } from './markers';

export interface LogThresholds {
  /** Handshake reject ratio above which it warns (checks.thresholds.rejectRatioWarn). */
  rejectRatioWarn: number;
  /** reached/generated token ratio below which it warns (checks.thresholds.tokenConsumeRatioWarn). */
  tokenConsumeRatioWarn: number;
  /** Fewest events a ratio needs (docker.logMinEvents). */
  minEvents: number;
  /** Start lines in the window that make a reload loop (docker.reloadLoopStarts). */
  reloadLoopStarts: number;
}

export interface LogMetrics {
  tokensGenerated: number;
  tokensConsumed: number;
  /** Token handshakes that reached Django at all: consumed + refused + validation errors. */
  tokensReachedDjango: number;
  reachRatio: number | null;
  tokensInvalid: number;
  handshakes: number;
  handshakesRejected: number;
  rejectRatio: number | null;
  /** Where the handshake numbers come from: ASGI access lines, or the consumer's own lines. */
  handshakeSource: 'access-log' | 'consumer' | 'none';
  originRejected: number;
  redisErrors: number;
  asgiStarts: number;
}

export interface LogVerdict {
  status: 'ok' | 'warn';
  problems: string[];
  signals: string[];
  metrics: LogMetrics;
}

const pct = (r: number): string => `${Math.round(r * 100)}%`;

export function analyzeCounts(c: Record<MarkerId, number>, t: LogThresholds): LogVerdict {
  const problems: string[] = [];
  const signals = new Set<string>();
  const exceeds = (bad: number, total: number): boolean => total >= t.minEvents && total > 0 && bad / total > t.rejectRatioWarn;

  // Tokens issued vs tokens that came back on a handshake (F1: SSL redirect / proxy eats the upgrade).
  const generated = Math.max(c.tokenApiGenerated, c.tokenGenerated);
  const invalid = Math.max(c.tokenInvalid, c.connTokenInvalid, c.authInvalidToken);
  const reached = c.tokenConsumed + invalid + c.unexpectedValidating;
  const reachRatio = generated > 0 ? Math.min(1, reached / generated) : null;
  if (generated >= t.minEvents && reachRatio !== null && reachRatio < t.tokenConsumeRatioWarn) {
    problems.push(
      `${generated} connection tokens generated but only ${reached} came back on a handshake (${pct(reachRatio)}): handshakes are not reaching Django (SSL redirect or proxy, F1)`,
    );
    signals.add('ssl-redirect-suspected');
  }

  // Redis errors while validating or issuing tokens. A log line says it happened, not that Redis is down now:
  // the redis check says that.
  const redisErrors = c.unexpectedValidating + c.tokenApiRedisError;
  if (redisErrors > 0) {
    problems.push(
      `${redisErrors} Redis error line(s) on the token path (${c.unexpectedValidating} "Unexpected error validating connection token", ${c.tokenApiRedisError} "[WS_TOKEN_API] Redis")`,
    );
    signals.add('redis-errors-in-logs');
  }

  // Exceptions before accept (500 at the handshake) and other tracebacks.
  const exceptions = Math.max(c.exceptionInApp + c.uvicornException, c.traceback);
  if (exceptions > 0) {
    const kinds = [
      c.noRoute ? `${c.noRoute} "No route found for path"` : '',
      c.redisOom ? `${c.redisOom} "OOM command not allowed"` : '',
    ].filter(Boolean);
    problems.push(`${exceptions} exception(s) in the application ("Exception inside application" / tracebacks)${kinds.length ? `: ${kinds.join(', ')}` : ''}`);
    signals.add('asgi-exceptions');
  }
  if (c.disallowedHost > 0) problems.push(`${c.disallowedHost} request(s) refused for their Host ("Invalid HTTP_HOST header", ALLOWED_HOSTS)`);
  const limits = c.rateLimitExceeded + c.connectionLimitExceeded;
  if (limits > 0) {
    problems.push(`${limits} handshake(s) refused by the connection limits (${c.rateLimitExceeded} rate, ${c.connectionLimitExceeded} concurrency)`);
  }

  // Handshake outcome: the ASGI server's access lines if present, else the consumer's own lines.
  let handshakes = 0;
  let rejected = 0;
  let source: LogMetrics['handshakeSource'] = 'none';
  const accessTotal = c.uvicornAccepted + c.uvicornRejected + c.uvicornError + c.daphneConnect + c.daphneReject;
  if (accessTotal > 0) {
    source = 'access-log';
    handshakes = accessTotal;
    rejected = c.uvicornRejected + c.daphneReject + c.uvicornError;
  } else if (c.connectAttempt + c.originRejected + c.unauthenticated > 0) {
    source = 'consumer';
    rejected = c.originRejected + c.unauthenticated;
    handshakes = Math.max(c.connectAttempt, rejected + c.connected);
  }
  const rejectRatio = handshakes > 0 ? rejected / handshakes : null;
  const rejectsHigh = exceeds(rejected, handshakes);
  if (rejectsHigh && rejectRatio !== null) {
    problems.push(`${rejected} of ${handshakes} WebSocket handshakes rejected (${pct(rejectRatio)})`);
  }

  const originTotal = Math.max(c.connectAttempt, c.originRejected + c.connected);
  if (c.originRejected > 0 && (exceeds(c.originRejected, originTotal) || (rejectsHigh && c.originRejected > 0))) {
    problems.push(`${c.originRejected} handshake(s) rejected for their Origin (CORS_ALLOWED_ORIGINS, F7)`);
    signals.add('origin-rejections');
  }
  if (invalid > 0 && (exceeds(invalid, invalid + c.tokenConsumed) || rejectsHigh)) {
    problems.push(`${invalid} handshake(s) from other clients with an invalid or expired connection token (held past its TTL or replayed)`);
    signals.add('token-expiry-or-db-mismatch');
  }

  // ASGI server starts inside the window. uvicorn --reload prints "Application startup complete." on each
  // reload but "Uvicorn running on" only once; Daphne has no reloader: each "Listening on TCP address" is a new
  // process (a crash and a restart), never a --reload loop.
  const starts = Math.max(c.uvicornRunning, c.appStartupComplete) + c.daphneListening;
  if (starts >= t.reloadLoopStarts) {
    const reloads = c.daphneListening === 0 && (c.reloadDetected > 0 || c.appStartupComplete > c.uvicornRunning);
    if (reloads) {
      problems.push(`uvicorn --reload restarted the app ${starts} times in the window (a file keeps changing; every reload drops all sockets)`);
      signals.add('asgi-reload-loop');
    } else {
      const server = c.daphneListening > 0 ? 'Daphne' : 'uvicorn';
      problems.push(`${server} started ${starts} times in the window: the server process exits and is started again (every start drops all sockets)`);
      signals.add('asgi-restart-loop');
    }
  }

  return {
    status: problems.length > 0 ? 'warn' : 'ok',
    problems,
    signals: [...signals],
    metrics: {
      tokensGenerated: generated,
      tokensConsumed: c.tokenConsumed,
      tokensReachedDjango: reached,
      reachRatio: reachRatio === null ? null : round(reachRatio),
      tokensInvalid: invalid,
      handshakes,
      handshakesRejected: rejected,
      rejectRatio: rejectRatio === null ? null : round(rejectRatio),
      handshakeSource: source,
      originRejected: c.originRejected,
      redisErrors,
      asgiStarts: starts,
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
