/**
 * One connection token for the probe user, the way the front end gets one: the cached login JWT (ProbeSession,
 * shared with the token-issuance check, so no extra login) as Bearer on `POST <wsToken>`; one fresh login if
 * the server says the cached JWT is `token_not_valid`. For checks that need a socket of their own.
 */
import { jsonBody, type HttpTarget } from './http';
import type { LoginResult, ProbeSession } from './session';

export type ConnectionTokenResult =
  | { kind: 'ok'; token: string; issuedAt: number }
  | { kind: 'login'; login: Exclude<LoginResult, { kind: 'ok' }> }
  | { kind: 'http'; status: number }
  | { kind: 'error'; message: string };

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The server refused the JWT: simplejwt's `token_not_valid` 401, or any 401/403 to a JWT that was not fresh from
 * this login (kept in memory or in the state store) — worth exactly one fresh login before it counts.
 */
export function refusesJwt(status: number, body: string, cached: boolean): boolean {
  if (status === 401 && (jsonBody(body) as { code?: unknown } | undefined)?.code === 'token_not_valid') return true;
  return cached && (status === 401 || status === 403);
}

export async function requestConnectionToken(
  session: ProbeSession,
  http: HttpTarget,
  path: string,
  signal?: AbortSignal,
): Promise<ConnectionTokenResult> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const login = await session.accessToken(signal);
    if (login.kind !== 'ok') return { kind: 'login', login };
    const res = await http.request(path, { method: 'POST', headers: { Authorization: `Bearer ${login.jwt}` }, ...(signal ? { signal } : {}) });
    if (res.kind === 'error') return { kind: 'error', message: res.message };
    const body = jsonBody(res.body) as { connection_token?: unknown; code?: unknown } | undefined;
    if (attempt === 0 && refusesJwt(res.status, res.body, login.cached)) {
      session.invalidate();
      continue;
    }
    const token = body?.connection_token;
    if (res.status === 200 && typeof token === 'string' && TOKEN_RE.test(token)) {
      session.rememberToken(token);
      return { kind: 'ok', token, issuedAt: Date.now() };
    }
    return { kind: 'http', status: res.status };
  }
  return { kind: 'http', status: 401 };
}
