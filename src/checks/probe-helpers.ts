/**
 * Small pieces shared by the probe checks (HTTP, WebSocket, Redis): turning transport failures into
 * findings and bounding Redis commands by the check's abort signal.
 */
import type { HttpErrorResult } from '../targets/http';
import { redact } from '../telemetry/redact';
import type { CheckOutcome } from './types';

/**
 * A backend request that never got an HTTP answer: refused, reset or timed out → `backend-down`. A timeout also
 * carries `timeout` (port open, no answer: a hung worker or a proxy holding the request), which diagnosis uses
 * to tell a hung backend from a dead one.
 */
export function backendUnreachable(what: string, res: Pick<HttpErrorResult, 'error' | 'message' | 'latencyMs'>): CheckOutcome {
  const why = res.error === 'timeout' ? `no answer within ${res.latencyMs} ms` : `cannot connect (${res.message})`;
  return {
    status: 'fail',
    summary: `${what}: ${why}`,
    evidence: { error: res.error, latencyMs: res.latencyMs },
    signals: res.error === 'timeout' ? ['backend-down', 'timeout'] : ['backend-down'],
  };
}

export function is3xx(status: number): boolean {
  return status >= 300 && status < 400;
}

/** A Redis command raced against the check's signal and a timeout, so a dead Redis never hangs a check. */
export async function redisCall<T>(cmd: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no Redis answer within ${timeoutMs} ms`)), timeoutMs);
    onAbort = () => reject(new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // The losing command may still reject later; swallow it so it is never an unhandled rejection.
  cmd.catch(() => undefined);
  try {
    return await Promise.race([cmd, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Short, redacted text of an error for a summary or evidence value. */
export function errText(err: unknown, max = 80): string {
  const e = err as { code?: string; message?: string };
  return redact(String(e?.code ?? e?.message ?? err)).slice(0, max);
}

/** Host:port of a URL without credentials (for summaries). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

/** `/ws/chat/probe-1/?connection_token=…` → the path with every query value masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search ? '?' + [...u.searchParams.keys()].map((k) => `${k}=…`).join('&') : ''}`;
  } catch {
    return redact(url);
  }
}
