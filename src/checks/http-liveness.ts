/**
 * Check 1 — HTTP liveness. `/api/v1/health/` is answered by HealthCheckMiddleware before SecurityMiddleware with
 * a constant 200 (§9.1), so it proves only that the process accepts requests: nothing about DB, Redis or WS.
 */
import { backendUnreachable, is3xx } from './probe-helpers';
import type { Check } from './types';

export const httpLiveness: Check = {
  name: 'http-liveness',
  title: 'Backend process answers HTTP',
  ref: 'target-system §9.1, check 1',
  async run(ctx) {
    const path = ctx.env.backend.paths.health;
    const res = await ctx.targets.http.request(path, { signal: ctx.signal });
    if (res.kind === 'error') return backendUnreachable(`GET ${path}`, res);
    const evidence = { status: res.status, latencyMs: res.latencyMs };
    if (res.status === 200) return { status: 'ok', summary: `GET ${path} → 200 in ${res.latencyMs} ms`, evidence };
    // The app never redirects this path (it is answered before SecurityMiddleware), so a 3xx is a proxy's.
    if (is3xx(res.status)) {
      return { status: 'warn', summary: `GET ${path} → ${res.status} redirect (from a proxy, not Django)`, evidence, signals: ['unexpected-redirect'] };
    }
    return { status: 'fail', summary: `GET ${path} → ${res.status} (the constant health answer is missing)`, evidence, signals: ['backend-error'] };
  },
};
