/**
 * `--since` values of `ws-doctor logs`: `30s`, `10m`, `2h`, `1d`, combinations like `1h30m`, or a bare number
 * of seconds. Returns seconds; throws a RangeError with the accepted forms on anything else.
 */

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Longest accepted window: 30 days. */
export const MAX_SINCE_SECONDS = 30 * 86400;

export function parseSince(value: string): number {
  const v = value.trim().toLowerCase();
  if (/^\d+$/.test(v)) return check(Number(v), value);
  if (!/^(\d+[smhd])+$/.test(v)) {
    throw new RangeError(`invalid --since "${value}": use a duration like 30s, 10m, 2h, 1d or 1h30m`);
  }
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhd])/g)) total += Number(m[1]) * (UNIT[m[2] as string] ?? 0);
  return check(total, value);
}

function check(seconds: number, raw: string): number {
  if (seconds <= 0) throw new RangeError(`invalid --since "${raw}": must be more than 0 seconds`);
  if (seconds > MAX_SINCE_SECONDS) throw new RangeError(`invalid --since "${raw}": at most 30 days`);
  return seconds;
}

/** 600 → `10m`, 5400 → `1h30m`, 45 → `45s`. */
export function formatSeconds(seconds: number): string {
  let s = Math.round(seconds);
  if (s <= 0) return '0s';
  const parts: string[] = [];
  for (const [u, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  return parts.join('');
}
