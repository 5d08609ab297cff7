/**
 * Prometheus HTTP API client: only what checks read (target health). Failures are values, like HttpTarget's.
 */
import { HttpTarget, jsonBody, type HttpErrorKind } from './http';

export interface ScrapeTarget {
  job: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape?: string;
}

export type PrometheusTargetsResult =
  | { kind: 'ok'; targets: ScrapeTarget[]; latencyMs: number }
  | { kind: 'http'; status: number; latencyMs: number }
  | { kind: 'error'; error: HttpErrorKind; message: string; latencyMs: number };

export class PrometheusTarget {
  private readonly http: HttpTarget;

  constructor(opts: { url: string; timeoutMs: number }) {
    this.http = new HttpTarget({ baseUrl: opts.url, timeoutMs: opts.timeoutMs, userAgent: 'ws-doctor' });
  }

  get url(): string {
    return this.http.baseUrl;
  }

  /** Active scrape targets (`GET /api/v1/targets?state=active`). */
  async activeTargets(signal?: AbortSignal): Promise<PrometheusTargetsResult> {
    const res = await this.http.request('/api/v1/targets?state=active', signal ? { signal } : {});
    if (res.kind === 'error') return res;
    const body = jsonBody(res.body) as { status?: string; data?: { activeTargets?: unknown[] } } | undefined;
    if (res.status !== 200 || body?.status !== 'success' || !Array.isArray(body.data?.activeTargets)) {
      return { kind: 'http', status: res.status, latencyMs: res.latencyMs };
    }
    const targets = body.data.activeTargets.map((t) => {
      const r = t as { labels?: Record<string, string>; scrapePool?: string; scrapeUrl?: string; health?: string; lastError?: string; lastScrape?: string };
      const health = r.health === 'up' || r.health === 'down' ? r.health : 'unknown';
      return {
        job: r.labels?.job ?? r.scrapePool ?? '',
        scrapeUrl: r.scrapeUrl ?? '',
        health,
        lastError: r.lastError ?? '',
        ...(r.lastScrape ? { lastScrape: r.lastScrape } : {}),
      } satisfies ScrapeTarget;
    });
    return { kind: 'ok', targets, latencyMs: res.latencyMs };
  }
}

/** One instant-vector sample (scalars become one sample without labels). */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export type PromQueryResult =
  | { kind: 'ok'; series: PromSample[]; latencyMs: number }
  /** Prometheus refused the expression (`bad_data`): a rule problem, not an outage. */
  | { kind: 'bad_query'; error: string; latencyMs: number }
  /** Prometheus unreachable, timing out, or answering with a server error. */
  | { kind: 'unavailable'; error: string; latencyMs: number };

export interface PromRangeSeries {
  labels: Record<string, string>;
  /** [epoch seconds, value] */
  points: Array<[number, number]>;
}

export type PromRangeResult = { kind: 'ok'; series: PromRangeSeries[] } | { kind: 'bad_query' | 'unavailable'; error: string };

type ApiBody = { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } };

function apiFailure(res: Awaited<ReturnType<HttpTarget['request']>>): { kind: 'bad_query' | 'unavailable'; error: string } | ApiBody {
  if (res.kind === 'error') return { kind: 'unavailable', error: `${res.error}: ${res.message}` };
  const body = jsonBody(res.body) as ApiBody | undefined;
  if (body?.status === 'success') return body;
  // 400 bad_data / 422 execution errors are the expression's fault; 5xx, 503 (not ready) and non-JSON answers are an outage.
  if (body?.status === 'error' && (res.status === 400 || res.status === 422) && (body.errorType === 'bad_data' || body.errorType === 'execution')) {
    return { kind: 'bad_query', error: body.error ?? body.errorType };
  }
  return { kind: 'unavailable', error: `HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}` };
}

export class PrometheusQueryClient {
  private readonly http: HttpTarget;

  constructor(opts: { url: string; timeoutMs: number }) {
    this.http = new HttpTarget({ baseUrl: opts.url, timeoutMs: opts.timeoutMs, userAgent: 'ws-doctor' });
  }

  get url(): string {
    return this.http.baseUrl;
  }

  /** Instant query (`GET /api/v1/query`); `timeS` = evaluation time in epoch seconds (default now). */
  async query(expr: string, opts: { timeS?: number; signal?: AbortSignal } = {}): Promise<PromQueryResult> {
    const qs = new URLSearchParams({ query: expr, ...(opts.timeS !== undefined ? { time: String(opts.timeS) } : {}) });
    const res = await this.http.request(`/api/v1/query?${qs}`, opts.signal ? { signal: opts.signal } : {});
    const latencyMs = res.latencyMs;
    const r = apiFailure(res);
    if ('kind' in r) return { ...r, latencyMs };
    const data = r.data;
    if (data?.resultType === 'scalar' && Array.isArray(data.result)) return { kind: 'ok', series: [{ labels: {}, value: Number(data.result[1]) }], latencyMs };
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
      return { kind: 'bad_query', error: `expression gives a ${data?.resultType ?? 'unknown'}, alerting needs an instant vector`, latencyMs };
    }
    const series = (data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>).map((s) => {
      const { __name__: _name, ...labels } = s.metric ?? {};
      return { labels, value: Number(s.value?.[1]) };
    });
    return { kind: 'ok', series, latencyMs };
  }

  /** Range query for graphs (`GET /api/v1/query_range`), times in epoch seconds. */
  async queryRange(expr: string, startS: number, endS: number, stepS: number, signal?: AbortSignal): Promise<PromRangeResult> {
    const qs = new URLSearchParams({ query: expr, start: String(startS), end: String(endS), step: String(stepS) });
    const res = await this.http.request(`/api/v1/query_range?${qs}`, { maxBodyChars: 4_000_000, ...(signal ? { signal } : {}) });
    const r = apiFailure(res);
    if ('kind' in r) return r;
    if (r.data?.resultType !== 'matrix' || !Array.isArray(r.data.result)) return { kind: 'bad_query', error: 'not a range vector result' };
    const series = (r.data.result as Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }>).map((s) => ({
      labels: s.metric ?? {},
      points: (s.values ?? []).map(([t, v]) => [Number(t), Number(v)] as [number, number]),
    }));
    return { kind: 'ok', series };
  }

  /**
   * Syntax/type check by Prometheus' own parser. 2.42 has no parse endpoint (`/api/v1/parse_query` came later),
   * so this evaluates at epoch 0, where no TSDB holds data: the parser and type checker run, nothing is read.
   */
  async validate(expr: string, signal?: AbortSignal): Promise<{ kind: 'ok' } | { kind: 'bad_query' | 'unavailable'; error: string }> {
    const r = await this.query(expr, { timeS: 0, ...(signal ? { signal } : {}) });
    if (r.kind === 'ok') return { kind: 'ok' };
    return r;
  }
}
