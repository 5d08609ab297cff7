/**
 * The injected faults of the accuracy table and what a right verdict says about each: the root cause, and the
 * remediations that fix it (a verdict may offer fewer, never another). Shared by every peer the diagnosis is
 * tested against (the demo backend; the Channels peer under Daphne reuses the same rows where it can inject).
 */
export interface AccuracyCase {
  /** Fault name on the peer, or `healthy` (no fault). */
  fault: string;
  /** Root-cause id a right verdict names (`none` for healthy). */
  cause: string;
  overall: 'ok' | 'degraded' | 'down';
  /** Remediation ids that fix this cause; the verdict's list must be a subset. */
  fixes: string[];
  /** The peer must run with DEBUG off (connection limits are enforced only then). */
  production?: boolean;
  note?: string;
}

export const DEMO_CASES: readonly AccuracyCase[] = [
  { fault: 'healthy', cause: 'none', overall: 'ok', fixes: [] },
  { fault: 'redis-stopped', cause: 'redis-down', overall: 'down', fixes: ['restart-redis'], note: 'the real redis-server stopped' },
  { fault: 'redis-hang', cause: 'redis-hung', overall: 'down', fixes: ['restart-redis'] },
  { fault: 'redis-oom', cause: 'redis-oom', overall: 'down', fixes: [] },
  { fault: 'redis-down', cause: 'web-cache-unreachable', overall: 'down', fixes: ['fix-cache-url'], note: "the web process's Redis fails, the bot's answers" },
  { fault: 'cache-unreachable', cause: 'web-cache-unreachable', overall: 'down', fixes: ['fix-cache-url'] },
  { fault: 'token-503', cause: 'web-cache-unreachable', overall: 'down', fixes: ['fix-cache-url'] },
  { fault: 'token-500', cause: 'token-service-error', overall: 'down', fixes: [] },
  { fault: 'wrong-cache-db', cause: 'wrong-cache-db', overall: 'degraded', fixes: ['fix-cache-url'] },
  { fault: 'ssl-redirect', cause: 'ssl-redirect-no-forwarded-proto', overall: 'down', fixes: ['set-bot-forwarded-proto'] },
  { fault: 'ssl-header-ignored', cause: 'ssl-redirect-header-not-trusted', overall: 'down', fixes: ['fix-ssl-redirect'] },
  { fault: 'disallowed-host', cause: 'disallowed-host', overall: 'down', fixes: ['fix-allowed-hosts'] },
  { fault: 'origin-rejected', cause: 'origin-not-allowed', overall: 'down', fixes: ['fix-origins'] },
  { fault: 'token-expired', cause: 'token-expires-before-use', overall: 'down', fixes: [] },
  { fault: 'token-ttl-short', cause: 'token-ttl-short', overall: 'degraded', fixes: [] },
  { fault: 'token-reuse-allowed', cause: 'token-reuse-allowed', overall: 'degraded', fixes: [] },
  { fault: 'slow-handshake', cause: 'slow-path', overall: 'degraded', fixes: [] },
  { fault: 'metrics-wrong-path', cause: 'metrics-path-mismatch', overall: 'degraded', fixes: ['fix-metrics-path'] },
  { fault: 'metrics-path-missing', cause: 'metrics-not-mounted', overall: 'degraded', fixes: ['mount-metrics-exporter'] },
  { fault: 'db-down', cause: 'db-down', overall: 'down', fixes: [] },
  { fault: 'backend-hang', cause: 'backend-hung', overall: 'down', fixes: ['restart-backend'] },
  { fault: 'channel-layer-down', cause: 'channel-layer-error', overall: 'down', fixes: ['fix-channel-layer-url'] },
  { fault: 'chat-route-missing', cause: 'chat-route-missing', overall: 'down', fixes: [] },
  // DEBUG off: the connection limits are enforced, Daphne-style logs.
  { fault: 'healthy', cause: 'none', overall: 'ok', fixes: [], production: true },
  { fault: 'leaked-counter', cause: 'probe-user-connection-limit', overall: 'down', fixes: ['clear-leaked-counters'], production: true },
  { fault: 'rate-limited', cause: 'connection-rate-limit', overall: 'degraded', fixes: [], production: true },
  { fault: 'origin-rejected', cause: 'origin-not-allowed', overall: 'down', fixes: ['fix-origins'], production: true },
  { fault: 'token-expired', cause: 'token-expires-before-use', overall: 'down', fixes: [], production: true },
  { fault: 'ssl-redirect', cause: 'ssl-redirect-no-forwarded-proto', overall: 'down', fixes: ['set-bot-forwarded-proto'], production: true },
];

export interface AccuracyRow {
  peer: string;
  fault: string;
  expected: string;
  got: string;
  overall: string;
  remediations: string[];
  right: boolean;
  why?: string;
}

/** Right = the expected root cause and overall, and no remediation outside the ones that fix it. */
export function judge(c: AccuracyCase, got: { cause: string; overall: string; remediations: string[] }): { right: boolean; why?: string } {
  if (got.cause !== c.cause) return { right: false, why: `named ${got.cause}` };
  if (got.overall !== c.overall) return { right: false, why: `overall ${got.overall}, expected ${c.overall}` };
  const wrongFix = got.remediations.filter((r) => !c.fixes.includes(r));
  if (wrongFix.length) return { right: false, why: `offers ${wrongFix.join(', ')}, which does not fix ${c.cause}` };
  return { right: true };
}

export function table(rows: readonly AccuracyRow[]): string {
  const head = '| peer | fault | expected cause | verdict root cause | overall | remediations | right? |\n|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) => `| ${r.peer} | ${r.fault} | ${r.expected} | ${r.got} | ${r.overall} | ${r.remediations.join(', ') || '—'} | ${r.right ? 'yes' : `NO (${r.why})`} |`,
  );
  const right = rows.filter((r) => r.right).length;
  return `${head}\n${body.join('\n')}\n\n${right}/${rows.length} right`;
}

/** The same judgement on the real Channels peer (Daphne + channels_redis, test/peers/channels-stack.ts). */
export const CHANNELS_CASES: readonly AccuracyCase[] = [
  { fault: 'healthy', cause: 'none', overall: 'ok', fixes: [] },
  { fault: 'redis-stopped', cause: 'redis-down', overall: 'down', fixes: ['restart-redis'] },
  { fault: 'redis-hang', cause: 'redis-hung', overall: 'down', fixes: ['restart-redis'] },
  { fault: 'redis-oom', cause: 'redis-oom', overall: 'down', fixes: [] },
  { fault: 'chat-route-missing', cause: 'chat-route-missing', overall: 'down', fixes: [] },
  { fault: 'disallowed-host', cause: 'disallowed-host', overall: 'down', fixes: ['fix-allowed-hosts'] },
  { fault: 'cache-unreachable', cause: 'web-cache-unreachable', overall: 'down', fixes: ['fix-cache-url'] },
  { fault: 'channel-layer-down', cause: 'channel-layer-error', overall: 'down', fixes: ['fix-channel-layer-url'] },
  { fault: 'wrong-cache-db', cause: 'wrong-cache-db', overall: 'degraded', fixes: ['fix-cache-url'] },
  { fault: 'ssl-redirect', cause: 'ssl-redirect-no-forwarded-proto', overall: 'down', fixes: ['set-bot-forwarded-proto'] },
  { fault: 'ssl-header-ignored', cause: 'ssl-redirect-header-not-trusted', overall: 'down', fixes: ['fix-ssl-redirect'] },
  { fault: 'origin-rejected', cause: 'origin-not-allowed', overall: 'down', fixes: ['fix-origins'] },
  { fault: 'token-expired', cause: 'token-expires-before-use', overall: 'down', fixes: [] },
  { fault: 'token-ttl-short', cause: 'token-ttl-short', overall: 'degraded', fixes: [] },
  { fault: 'rate-limited', cause: 'connection-rate-limit', overall: 'degraded', fixes: [] },
  { fault: 'leaked-counter', cause: 'probe-user-connection-limit', overall: 'down', fixes: ['clear-leaked-counters'] },
  { fault: 'metrics-path-missing', cause: 'metrics-not-mounted', overall: 'degraded', fixes: ['mount-metrics-exporter'] },
  { fault: 'metrics-wrong-path', cause: 'metrics-path-mismatch', overall: 'degraded', fixes: ['fix-metrics-path'] },
  { fault: 'backend-hang', cause: 'backend-hung', overall: 'down', fixes: ['restart-backend'] },
  { fault: 'channel-layer-db-mismatch', cause: 'channel-group-missing', overall: 'down', fixes: ['fix-channel-layer-url'] },
  { fault: 'chat-handler-missing', cause: 'chat-message-not-forwarded', overall: 'down', fixes: [] },
];
