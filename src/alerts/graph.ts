/**
 * The alerting series over the last hour as a PNG for the card's thread: people would rather look than read.
 * The SVG is drawn here (pure, testable); resvg (Rust, via napi — a prebuilt binary inside the npm package, no
 * install script) turns it into PNG. A rule `a > 5` is graphed as `a` with a dashed threshold line at 5, so the
 * picture shows how far over the line it went, not only the samples that crossed it.
 */
import { Resvg } from '@resvg/resvg-js';
import type { PromRangeSeries } from '../targets/prometheus';
import type { IncidentView, PromRule } from './types';

export interface GraphQuerier {
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<{ kind: 'ok'; series: PromRangeSeries[] } | { kind: string; error?: string }>;
}

const W = 800;
const H = 320;
const PAD = { l: 64, r: 16, t: 40, b: 48 };
const COLORS = ['#e01e5a', '#2eb67d', '#36c5f0', '#ecb22e', '#8e44ad'];

/** `sum(x) > 0.05` → { expr: 'sum(x)', threshold: 0.05 }; anything else is graphed as it is. */
export function splitThreshold(expr: string): { expr: string; threshold?: number } {
  const m = /^([\s\S]*?)\s*(?:>=|<=|==|!=|>|<)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i.exec(expr.trim());
  if (!m || !m[1]?.trim()) return { expr: expr.trim() };
  return { expr: m[1].trim(), threshold: Number(m[2]) };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceNumber(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return `${+n.toPrecision(3)}`;
}

function seriesName(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${name ?? ''}${inner ? `{${inner}}` : ''}` || 'value';
}

export function buildGraphSvg(o: { title: string; series: PromRangeSeries[]; startS: number; endS: number; threshold?: number }): string {
  const series = o.series.slice(0, COLORS.length);
  const values = series.flatMap((s) => s.points.map((p) => p[1]).filter(Number.isFinite));
  if (o.threshold !== undefined) values.push(o.threshold);
  let lo = values.length ? Math.min(...values, 0) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi === lo) hi = lo + 1;
  const span = hi - lo;
  hi += span * 0.08;
  if (lo < 0) lo -= span * 0.08;
  const x = (t: number): number => PAD.l + ((t - o.startS) / Math.max(1, o.endS - o.startS)) * (W - PAD.l - PAD.r);
  const y = (v: number): number => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${PAD.l}" y="24" font-size="15" font-weight="bold" fill="#1d1c1d">${esc(o.title.slice(0, 90))}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${PAD.l}" y1="${yy}" x2="${W - PAD.r}" y2="${yy}" stroke="#e8e8e8"/>`);
    parts.push(`<text x="${PAD.l - 6}" y="${(+yy + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#616061">${esc(niceNumber(v))}</text>`);
  }
  for (let i = 0; i <= 6; i++) {
    const t = o.startS + ((o.endS - o.startS) * i) / 6;
    const label = new Date(t * 1000).toISOString().slice(11, 16);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${H - PAD.b + 16}" font-size="11" text-anchor="middle" fill="#616061">${label}</text>`);
  }
  parts.push(`<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#9b9b9b"/>`);
  if (o.threshold !== undefined) {
    const yy = y(o.threshold).toFixed(1);
    parts.push(`<line x1="${PAD.l}" y1="${yy}" x2="${W - PAD.r}" y2="${yy}" stroke="#e01e5a" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    parts.push(`<text x="${W - PAD.r}" y="${(+yy - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#e01e5a">threshold ${esc(niceNumber(o.threshold))}</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (!pts.length) return;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[i]}" stroke-width="2"/>`);
    if (pts.length === 1) parts.push(`<circle cx="${x(pts[0]![0]).toFixed(1)}" cy="${y(pts[0]![1]).toFixed(1)}" r="3" fill="${COLORS[i]}"/>`);
    parts.push(`<rect x="${PAD.l + i * 150}" y="${H - 18}" width="10" height="10" fill="${COLORS[i]}"/>`);
    parts.push(`<text x="${PAD.l + i * 150 + 14}" y="${H - 9}" font-size="10" fill="#1d1c1d">${esc(seriesName(s.labels).slice(0, 22))}</text>`);
  });
  if (!series.some((s) => s.points.length)) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" font-size="13" text-anchor="middle" fill="#616061">no samples in this range</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export function svgToPng(svg: string): Buffer {
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
}

/** The PNG for a card whose root is a PromQL rule; undefined for check rules or when Prometheus has nothing. */
export async function graphForIncident(view: IncidentView, prom: GraphQuerier, rangeMs: number, now = Date.now()): Promise<{ filename: string; title: string; data: Buffer; altText: string } | undefined> {
  const rule = view.rootRule;
  if (!rule || rule.kind !== 'prom') return undefined;
  const { expr, threshold } = splitThreshold((rule as PromRule).expr);
  const endS = Math.floor(now / 1000);
  const startS = endS - Math.floor(rangeMs / 1000);
  const stepS = Math.max(1, Math.floor((endS - startS) / 240));
  const res = await prom.queryRange(expr, startS, endS, stepS);
  if (res.kind !== 'ok' || !('series' in res)) return undefined;
  const title = `${rule.name}: ${expr}`;
  const svg = buildGraphSvg({ title, series: res.series, startS, endS, ...(threshold !== undefined ? { threshold } : {}) });
  const last = res.series[0]?.points.at(-1)?.[1];
  return {
    filename: `${rule.name}-${endS}.png`,
    title: `${rule.name} — last ${Math.round(rangeMs / 60000)} min`,
    data: svgToPng(svg),
    altText: `Graph of ${expr} over the last ${Math.round(rangeMs / 60000)} minutes${threshold !== undefined ? `, threshold ${threshold}` : ''}${last !== undefined ? `, last value ${+last.toPrecision(4)}` : ''}`,
  };
}
