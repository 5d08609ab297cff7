/**
 * Check 15 (exporter part) — django-prometheus on the web process. `config/urls.py` mounts it so that it
 * answers at `/metricsmetrics`, while Prometheus scrapes `/metrics` (§6): the stock stack "has metrics" that
 * nobody collects. Healthy = 200 `text/plain` with `django_http_` series on the path Prometheus scrapes.
 */
import { backendUnreachable } from './probe-helpers';
import type { Check, CheckOutcome, Evidence } from './types';

/** Sum of `django_http_responses_total_by_status_total{status="5xx"}` samples; null when the series is absent. */
export function count5xx(text: string): number | null {
  let seen = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('django_http_responses_total_by_status_total{')) continue;
    seen = true;
    const m = /status="(\d{3})"[^}]*\}\s+([0-9.eE+-]+)/.exec(line);
    if (m && m[1]?.startsWith('5')) sum += Number(m[2]);
  }
  return seen ? sum : null;
}

export const metrics: Check = {
  name: 'metrics',
  title: 'django-prometheus exporter',
  ref: 'target-system §6, check 15',
  async run(ctx): Promise<CheckOutcome> {
    const { paths, scrapePath } = ctx.env.metrics;
    const probe = paths.includes(scrapePath) ? paths : [...paths, scrapePath];
    const results = await Promise.all(probe.map((p) => ctx.targets.http.request(p, { signal: ctx.signal, headers: { Accept: 'text/plain' } })));
    const firstErr = results.find((r) => r.kind === 'error');
    if (firstErr && results.every((r) => r.kind === 'error')) return backendUnreachable(`GET ${probe.join(', ')}`, firstErr);

    const evidence: Evidence = {};
    const working: string[] = [];
    const statuses: string[] = [];
    let fivexx: number | null = null;
    probe.forEach((p, i) => {
      const r = results[i];
      if (!r) return;
      statuses.push(`${p}=${r.kind === 'response' ? r.status : r.error}`);
      const healthy =
        r.kind === 'response' && r.status === 200 && (r.headers.get('content-type') ?? '').startsWith('text/plain') && r.body.includes('django_http_');
      if (healthy) {
        working.push(p);
        fivexx ??= count5xx(r.body);
      }
    });
    evidence.statusByPath = statuses.join(' ');
    evidence.workingPaths = working.join(',') || null;
    evidence.responses5xx = fivexx;

    if (working.length === 0) {
      const answered = results.filter((r): r is Extract<typeof r, { kind: 'response' }> => r?.kind === 'response');
      // Django refused every request before any view (Host or SSL redirect): that says nothing about the exporter.
      if (answered.length > 0 && answered.every((r) => r.status === 400)) {
        return { status: 'fail', summary: `every metrics path answers 400 (${evidence.statusByPath}): Django refuses the Host before any view`, evidence, signals: ['disallowed-host'] };
      }
      if (answered.length > 0 && answered.every((r) => r.status >= 300 && r.status < 400)) {
        return { status: 'fail', summary: `every metrics path is redirected (${evidence.statusByPath}): the SSL redirect answers before the exporter`, evidence, signals: ['ssl-redirect'] };
      }
      return {
        status: 'fail',
        summary: `nothing serves django metrics (${evidence.statusByPath}): the django-prometheus exporter is not mounted`,
        evidence,
        signals: ['metrics-missing'],
      };
    }
    if (!working.includes(scrapePath)) {
      return {
        status: 'warn',
        summary: `metrics served only at ${working.join(', ')}, but Prometheus scrapes ${scrapePath}: fix the scrape path or the URL include (R12)`,
        evidence,
        signals: ['metrics-path-mismatch'],
      };
    }
    return { status: 'ok', summary: `metrics served at ${working.join(', ')}${fivexx !== null ? `; ${fivexx} 5xx responses since start` : ''}`, evidence };
  },
};
