/** One benchmark's outcome: our path against what a user would otherwise run, measured in the same run. */
export interface BenchResult {
  name: string;
  ours: { medianMs: number; extra?: Record<string, number | string> };
  baseline: { medianMs: number; command: string };
  /** ours / baseline (lower is better). */
  ratio: number;
  /** The target in words, e.g. "median ≤ 150 ms and ratio ≤ 0.25". */
  target: string;
  pass: boolean;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}
