/**
 * Prometheus durations (`1h30m`, `15s`, `500ms`, `2d`, `1w`, `1y`): the format `for:` and `keep_firing_for:` use
 * in rule files, so rules pasted from Prometheus keep their meaning.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds, or undefined when `text` is not a Prometheus duration. `0` and `0s` are zero. */
export function parsePromDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

/** `90000` → `1m30s`; zero → `0s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let left = Math.round(ms);
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  if (!parts.length) return `${left}ms`;
  return parts.slice(0, 2).join('');
}
