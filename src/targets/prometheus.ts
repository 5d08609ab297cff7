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
