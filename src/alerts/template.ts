/**
 * The part of Prometheus' annotation templates that rules actually use: `{{ $labels.x }}`, `{{ $value }}`,
 * `{{ $value | humanize }}`, `{{ $value | humanizePercentage }}`, `{{ $externalLabels.x }}` is left alone.
 * Anything else stays as written (it is shown, never executed). Output is plain text: adapters escape it.
 */
export function renderTemplate(text: string, labels: Record<string, string>, value: number | undefined): string {
  return text.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, inner: string) => {
    const [head = '', ...pipes] = inner.split('|').map((p) => p.trim());
    let out: string | undefined;
    const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(head) ?? /^index \$labels "([^"]+)"$/.exec(head);
    if (label) out = labels[label[1] as string] ?? '';
    else if (head === '$value' || head === '.Value') out = value === undefined ? '' : String(value);
    if (out === undefined) return whole;
    for (const p of pipes) {
      const n: number = Number(out);
      if (p === 'humanize' && Number.isFinite(n)) out = humanize(n);
      else if (p === 'humanizePercentage' && Number.isFinite(n)) out = `${+(n * 100).toPrecision(4)}%`;
      else if (p === 'humanizeDuration' && Number.isFinite(n)) out = `${+n.toPrecision(4)}s`;
    }
    return out;
  });
}

export function humanize(n: number): string {
  const abs = Math.abs(n);
  for (const [size, unit] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (abs >= size) return `${+(n / size).toPrecision(4)}${unit}`;
  }
  return `${+n.toPrecision(4)}`;
}
