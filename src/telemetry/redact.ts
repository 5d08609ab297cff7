/**
 * Secret redaction. Every string that may reach Slack, the console or a log line passes through `redact()`.
 *
 * What counts as a secret here comes from target-system.md: connection tokens (43 URL-safe chars, in query
 * strings of uvicorn access lines and in `connection_token` JSON fields), their 8-char prefixes in
 * `Invalid or expired token: abcdefgh...` lines, JWTs (three base64url segments), cookies (`access_token`,
 * `refresh_token`, `sessionid`, `csrftoken`), Slack tokens (`xoxb-`, `xapp-`), passwords and AUTH secrets in URLs.
 */

const MASK = '[REDACTED]';

/** Ordered rules: the more specific patterns run before the generic ones. */
const RULES: ReadonlyArray<readonly [RegExp, string | ((m: string, ...g: string[]) => string)]> = [
  // JWTs anywhere (header.payload.signature, header starts with eyJ).
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, MASK],
  // Slack tokens.
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, MASK],
  [/\bxapp-[A-Za-z0-9-]{8,}/g, MASK],
  // Query-string and form secrets: connection_token=…, token=…, password=…, access_token=….
  [
    /\b(connection_token|token|access_token|refresh_token|password|passwd|secret|api_key|apikey|auth)=([^&;\s"'#]+)/gi,
    (_m, k: string) => `${k}=${MASK}`,
  ],
  // JSON fields with secret values, and the same in a Python dict repr (single quotes) or JSON escaped inside JSON.
  [
    /("(?:connection_token|access_token|refresh_token|password|token|secret|signing_secret|sessionid|csrftoken)"\s*:\s*)"[^"]*"/gi,
    (_m, k: string) => `${k}"${MASK}"`,
  ],
  [
    /('(?:connection_token|access_token|refresh_token|password|token|secret|signing_secret|sessionid|csrftoken)'\s*:\s*)'[^']*'/gi,
    (_m, k: string) => `${k}'${MASK}'`,
  ],
  [
    /(\\"(?:connection_token|access_token|refresh_token|password|token|secret|signing_secret|sessionid|csrftoken)\\"\s*:\s*)\\"(?:[^"\\]|\\(?!"))*\\"/gi,
    (_m, k: string) => `${k}\\"${MASK}\\"`,
  ],
  // Cookie headers and Set-Cookie values.
  [/\b(access_token|refresh_token|sessionid|csrftoken)\s*=\s*[^;\s,]+/gi, (_m, k: string) => `${k}=${MASK}`],
  [/\b(Authorization:\s*(?:Bearer|Basic|Token)\s+)\S+/gi, (_m, k: string) => `${k}${MASK}`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/g, (_m, k: string) => `${k}${MASK}`],
  // Credentials inside URLs: redis://:pass@host, https://user:pass@host.
  // The password runs to the last `@` before the path: `redis://default:p@ss@host` must not leave `ss@host`.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]+)@/gi, (_m, s: string, u: string) => `${s}${u}:${MASK}@`],
  // Environment-style assignments whose name ends in a secret word: REDIS_AUTH_TOKEN=…, DATABASE_PASSWORD=…,
  // SECRET_KEY=… (env dumps and settings printed at start-up).
  [
    /\b([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*_(?:TOKEN|PASSWORD|PASSWD|PASS|SECRET|SECRET_KEY|API_KEY|KEY|AUTH))=([^&;\s"'#]+)/gi,
    (m: string, k: string, v: string) => (v === MASK ? m : `${k}=${MASK}`),
  ],
  [/\b(SECRET_KEY)\s*=\s*(?!\[REDACTED\])([^&;\s"'#]+)/g, (_m, k: string) => `${k}=${MASK}`],
  // 8-char token prefixes the app logs on a bad token (`Invalid or expired token: AbCd1234...`).
  [/(Invalid or expired (?:connection )?token:\s*)[A-Za-z0-9_-]{1,16}(\.\.\.)?/g, (_m, k: string) => `${k}${MASK}`],
  // Any other `…token: AbCd1234...` (a truncated token after the word token, e.g. "consumed connection token: …").
  [/(\btoken:\s*)(?!\[REDACTED\])[A-Za-z0-9_-]{4,16}\.\.\./gi, (_m, k: string) => `${k}${MASK}`],
  // Redis key names that embed a token.
  [/(ws_conn_token:)[A-Za-z0-9_-]{8,}/g, (_m, k: string) => `${k}${MASK}`],
  // Bare 43-char URL-safe tokens (secrets.token_urlsafe(32)) standing alone.
  // About 1 token in 150 has no digit: mixed case alone is enough (a 43-char identifier is a rare false positive).
  [
    /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g,
    (m: string) => ((/[0-9]/.test(m) && /[A-Za-z]/.test(m)) || (/[A-Z]/.test(m) && /[a-z]/.test(m)) ? MASK : m),
  ],
];

/** Mask every secret in `text`. Idempotent: redact(redact(x)) === redact(x). */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of RULES) out = out.replace(re, rep as never);
  return out;
}

/** Redact values of known-secret keys and every string inside a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  // Error fields are not enumerable: keep them, redacted, instead of logging `{}`.
  if (value instanceof Error) return { name: value.name, message: redact(value.message), stack: redact(value.stack ?? '') } as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? MASK : redactDeep(v);
    }
    return out as T;
  }
  return value;
}

const SECRET_KEY = /(password|secret|token|cookie|authorization|api[_-]?key)$/i;

export const REDACTION_MASK = MASK;
