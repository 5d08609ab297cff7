/**
 * Check 15 (scrape part) — Prometheus' view of the web job (`/api/v1/targets`). An exporter that answers is
 * worthless if the scrape fails (the stock job scrapes `/metrics`, which 404s, §6). Prometheus itself being
 * unreachable is `unknown`: monitoring is down, not necessarily the stack.
 */
import type { Check, CheckOutcome } from './types';
import { redact } from '../telemetry/redact';

export const prometheus: Check = {
  name: 'prometheus',
  title: 'Prometheus scrapes the web service',
  ref: 'target-system §6, check 15',
  enabled: (env) => env.prometheus.enabled,
  async run(ctx): Promise<CheckOutcome> {
    const { job } = ctx.env.prometheus;
    const res = await ctx.targets.prometheus.activeTargets(ctx.signal);
    if (res.kind === 'error') {
      return {
        status: 'unknown',
        summary: `Prometheus at ${ctx.targets.prometheus.url} unreachable (${res.message}): cannot tell whether job ${job} is scraped`,
        evidence: { error: res.error },
        signals: ['prometheus-unreachable'],
      };
    }
    if (res.kind === 'http') {
      return { status: 'unknown', summary: `Prometheus answered ${res.status} to /api/v1/targets`, evidence: { status: res.status }, signals: ['prometheus-unreachable'] };
    }
    const mine = res.targets.filter((t) => t.job === job);
    if (mine.length === 0) {
      return { status: 'warn', summary: `Prometheus has no target for job ${job}`, evidence: { targets: res.targets.length }, signals: ['scrape-job-missing'] };
    }
    const up = mine.filter((t) => t.health === 'up').length;
    const down = mine.filter((t) => t.health === 'down');
    const evidence = { targets: mine.length, up, down: down.length, pending: mine.length - up - down.length };
    if (down.length > 0) {
      // lastError is Prometheus' text, e.g. `server returned HTTP status 404 Not Found`: short, redacted.
      const lastError = redact(down[0]?.lastError ?? '').slice(0, 120);
      return {
        status: 'fail',
        summary: `job ${job}: ${down.length}/${mine.length} target(s) down — ${lastError || 'no error text'}`,
        evidence: { ...evidence, lastError },
        signals: ['scrape-failing'],
      };
    }
    if (up === 0) return { status: 'unknown', summary: `job ${job}: not scraped yet`, evidence };
    return { status: 'ok', summary: `job ${job}: ${up}/${mine.length} target(s) up`, evidence };
  },
};
