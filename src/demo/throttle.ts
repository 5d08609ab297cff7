/**
 * Rate limits that live in the Django cache, as the real ones do — so they fail (500) when Redis fails:
 *
 * - DRF default throttles (target-system §2.1): `anon` 100/min keyed `throttle_anon_<ip>`, `user` 1000/min keyed
 *   `throttle_user_<uid>` (or `throttle_user_<ip>` for anonymous requests). History = pickled list of epoch
 *   floats, TTL = the window, exactly like `SimpleRateThrottle`.
 * - django-ratelimit on login: 10/min per IP, fixed window, key `rl:<md5>` holding a raw int (TTL window + 5 s).
 */
import { createHash } from 'node:crypto';
import { djangoDeserialize, dumps, PyFloat } from './pickle';
import type { DemoStore } from './store';

export interface ThrottleResult {
  allowed: boolean;
  /** Seconds until a request would be allowed again (DRF's `wait()`), when throttled. */
  waitS?: number;
}

interface Rate {
  scope: 'anon' | 'user';
  num: number;
  durationS: number;
}

export const DRF_RATES: Readonly<Record<'anon' | 'user', Rate>> = {
  anon: { scope: 'anon', num: 100, durationS: 60 },
  user: { scope: 'user', num: 1000, durationS: 60 },
};

/**
 * DRF's `check_throttles` with the default classes (AnonRateThrottle, UserRateThrottle). Every class is
 * evaluated; the request is throttled if any says so. Cache errors propagate (→ Django 500 page).
 */
export async function checkDrfThrottles(
  store: DemoStore,
  ident: { userId?: number; ip: string },
  perMinute: { anon: number; user: number } = { anon: DRF_RATES.anon.num, user: DRF_RATES.user.num },
): Promise<ThrottleResult> {
  const keys: Array<[string, Rate]> = [];
  if (ident.userId === undefined) keys.push([`throttle_anon_${ident.ip}`, { ...DRF_RATES.anon, num: perMinute.anon }]);
  keys.push([`throttle_user_${ident.userId ?? ident.ip}`, { ...DRF_RATES.user, num: perMinute.user }]);
  let waitS: number | undefined;
  for (const [k, rate] of keys) {
    const r = await simpleRateThrottle(store, store.key(k), rate);
    if (!r.allowed) waitS = Math.max(waitS ?? 0, r.waitS ?? 0);
  }
  return waitS === undefined ? { allowed: true } : { allowed: false, waitS };
}

async function simpleRateThrottle(store: DemoStore, key: string, rate: Rate): Promise<ThrottleResult> {
  const now = Date.now() / 1000;
  const raw = await store.cache((r) => r.getBuffer(key));
  let history: number[] = [];
  if (raw) {
    try {
      const v = djangoDeserialize(raw);
      if (Array.isArray(v)) history = v.filter((x): x is number => typeof x === 'number');
    } catch {
      history = [];
    }
  }
  history = history.filter((t) => t > now - rate.durationS);
  if (history.length >= rate.num) {
    const oldest = history[history.length - 1] as number;
    const remaining = rate.durationS - (now - oldest);
    const available = rate.num - history.length + 1;
    return { allowed: false, waitS: Math.max(0, remaining / available) };
  }
  history.unshift(now);
  await store.cache((r) => r.set(key, dumps(history.map((t) => new PyFloat(t))), 'EX', rate.durationS));
  return { allowed: true };
}

/** DRF's throttled detail text. */
export function throttledDetail(waitS: number): string {
  const s = Math.ceil(waitS);
  return `Request was throttled. Expected available in ${s} second${s === 1 ? '' : 's'}.`;
}

const RATELIMIT_FUDGE_S = 5;

/** zlib.crc32 (node:zlib only has it from Node 20.15). */
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * django-ratelimit's `get_usage` for `key='ip', rate='<n>/m'` on the login view: fixed window with a per-value
 * offset, `cache.add(key, 1)` then `cache.incr(key)`. Returns whether this request is over the limit.
 */
export async function loginRateLimited(store: DemoStore, ip: string, perMinute: number): Promise<boolean> {
  const period = 60;
  const rate = `${perMinute}/m`;
  const group = 'core.auth.views.login_view';
  const ts = Math.floor(Date.now() / 1000);
  let window = ts - (ts % period) + (crc32(Buffer.from(ip)) % period);
  if (window < ts) window += period;
  const key = store.key('rl:' + createHash('md5').update(`${group}${rate}${ip}${window}`).digest('hex'));
  const added = await store.cache((r) => r.set(key, '1', 'EX', period + RATELIMIT_FUDGE_S, 'NX'));
  const count = added ? 1 : await store.cache((r) => r.incr(key));
  return count > perMinute;
}
