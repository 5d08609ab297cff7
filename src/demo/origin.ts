/**
 * ChatConsumer's origin rule (target-system §3.1): allowed = netlocs of CORS_ALLOWED_ORIGINS, their last-two-label
 * base domain, plus allthrive.ai / www. / ws.; sub-domains of any of these pass; a missing Origin passes.
 */

const HARD_CODED = ['allthrive.ai', 'www.allthrive.ai', 'ws.allthrive.ai'];

export const DEFAULT_CORS_ALLOWED_ORIGINS: readonly string[] = ['http://localhost:3000', 'http://127.0.0.1:3000'];

function netloc(origin: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(origin.trim());
  return (m ? (m[1] as string) : origin.trim()).toLowerCase();
}

export function allowedOriginHosts(corsAllowedOrigins: readonly string[]): Set<string> {
  const set = new Set(HARD_CODED);
  for (const o of corsAllowedOrigins) {
    const n = netloc(o);
    if (!n) continue;
    set.add(n);
    const labels = n.split('.');
    if (labels.length >= 2) set.add(labels.slice(-2).join('.'));
  }
  return set;
}

export function isOriginAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined || origin === '') return true;
  const n = netloc(origin);
  for (const a of allowed) if (n === a || n.endsWith(`.${a}`)) return true;
  return false;
}
