/**
 * The faults injected on the real Channels peer (test/peers/channels-stack.ts) and what a right verdict says:
 * root-cause id, overall, and the remediations that fix that cause (a verdict may offer fewer, never another).
 * The cause ids are the diagnosis' own vocabulary, judged and tabled by cases.ts like the demo's rows.
 */
import type { PeerFaultName } from '../peers/channels-stack';
import type { AccuracyCase } from './cases';

/** An accuracy case whose fault is one the Channels peer can inject (judged by cases.ts' `judge`). */
export interface PeerCase extends AccuracyCase {
  fault: PeerFaultName | 'healthy';
}

export const PEER_CASES: readonly PeerCase[] = [
  { fault: 'healthy', cause: 'none', overall: 'ok', fixes: [] },
  { fault: 'redis-stopped', cause: 'redis-down', overall: 'down', fixes: ['restart-redis'] },
  { fault: 'redis-hang', cause: 'redis-hung', overall: 'down', fixes: ['restart-redis'] },
  { fault: 'redis-oom', cause: 'redis-oom', overall: 'down', fixes: [] },
  { fault: 'cache-unreachable', cause: 'web-cache-unreachable', overall: 'down', fixes: ['fix-cache-url'] },
  { fault: 'wrong-cache-db', cause: 'wrong-cache-db', overall: 'degraded', fixes: ['fix-cache-url'] },
  { fault: 'channel-layer-down', cause: 'channel-layer-error', overall: 'down', fixes: ['fix-channel-layer-url'] },
  { fault: 'channel-layer-db-mismatch', cause: 'channel-group-missing', overall: 'down', fixes: ['fix-channel-layer-url'] },
  { fault: 'chat-handler-missing', cause: 'chat-message-not-forwarded', overall: 'down', fixes: [] },
  { fault: 'chat-route-missing', cause: 'chat-route-missing', overall: 'down', fixes: [] },
  { fault: 'disallowed-host', cause: 'disallowed-host', overall: 'down', fixes: ['fix-allowed-hosts'] },
  { fault: 'ssl-redirect', cause: 'ssl-redirect-no-forwarded-proto', overall: 'down', fixes: ['set-bot-forwarded-proto'] },
  { fault: 'ssl-header-ignored', cause: 'ssl-redirect-header-not-trusted', overall: 'down', fixes: ['fix-ssl-redirect'] },
  { fault: 'origin-rejected', cause: 'origin-not-allowed', overall: 'down', fixes: ['fix-origins'] },
  { fault: 'token-expired', cause: 'token-expires-before-use', overall: 'down', fixes: [] },
  { fault: 'token-ttl-short', cause: 'token-ttl-short', overall: 'degraded', fixes: [] },
  { fault: 'metrics-wrong-path', cause: 'metrics-path-mismatch', overall: 'degraded', fixes: ['fix-metrics-path'] },
  { fault: 'metrics-path-missing', cause: 'metrics-not-mounted', overall: 'degraded', fixes: ['mount-metrics-exporter'] },
  { fault: 'backend-hang', cause: 'backend-hung', overall: 'down', fixes: ['restart-backend'] },
  { fault: 'leaked-counter', cause: 'probe-user-connection-limit', overall: 'down', fixes: ['clear-leaked-counters'] },
  { fault: 'rate-limited', cause: 'connection-rate-limit', overall: 'degraded', fixes: [] },
];
