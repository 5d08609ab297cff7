/**
 * Reading Django's own answers the same way in every HTTP check: a 400 that is Django's HTML page is the
 * DisallowedHost of `ALLOWED_HOSTS` (the real views answer their own 400s in JSON, §13), and a redirect to the
 * same URL on https is told apart by asking once more *with* `X-Forwarded-Proto: https` (§13: the settings
 * already trust that header, so 200 with it = the proxy does not send it; 301 with it too = the setting is gone).
 */
import type { HttpResponseResult, HttpTarget } from '../targets/http';
import type { Evidence } from './types';

/** Django's plain "Bad Request (400)" page (DEBUG off) or its DisallowedHost debug page (DEBUG on). */
export function isDisallowedHost(res: Pick<HttpResponseResult, 'status' | 'headers' | 'body'>): boolean {
  if (res.status !== 400) return false;
  const html = (res.headers.get('content-type') ?? '').startsWith('text/html');
  return html && /Bad Request \(400\)|DisallowedHost|Invalid HTTP_HOST header/.test(res.body);
}

export function disallowedHostOutcome(what: string, url: string, evidence: Evidence) {
  let host = '?';
  try {
    host = new URL(url).host;
  } catch {
    /* keep ? */
  }
  return {
    status: 'fail' as const,
    summary: `${what} → 400 Bad Request: Django refuses the Host header "${host}" (not in ALLOWED_HOSTS, DisallowedHost)`,
    evidence: { ...evidence, host, disallowedHost: true },
    signals: ['disallowed-host'],
  };
}

export type SslRedirectKind = 'proxy-header-missing' | 'setting-ignores-header' | 'unknown';

/**
 * After a self-redirect to https: the same GET again with `X-Forwarded-Proto: https`. When the bot already sends
 * the header (`backend.forwardedProto`), the first request was that probe.
 */
export async function sslRedirectKind(
  http: HttpTarget,
  path: string,
  botSendsHeader: boolean,
  signal: AbortSignal,
): Promise<{ kind: SslRedirectKind; withHeaderStatus: number | string }> {
  if (botSendsHeader) return { kind: 'setting-ignores-header', withHeaderStatus: 'sent already' };
  const again = await http.request(path, { signal, headers: { 'X-Forwarded-Proto': 'https' } });
  if (again.kind === 'error') return { kind: 'unknown', withHeaderStatus: again.error };
  if (again.status >= 300 && again.status < 400) return { kind: 'setting-ignores-header', withHeaderStatus: again.status };
  return { kind: 'proxy-header-missing', withHeaderStatus: again.status };
}

export const SSL_SIGNAL: Record<SslRedirectKind, string> = {
  'proxy-header-missing': 'ssl-proxy-header-missing',
  'setting-ignores-header': 'ssl-setting-ignores-header',
  unknown: 'ssl-redirect',
};
