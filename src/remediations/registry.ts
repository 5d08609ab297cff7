/**
 * Every remediation ws-doctor can run, and every manual fix it guides. Adding one = one file + one line.
 * Ids match the remediation ids diagnosis suggests (diagnosis/causes.ts).
 */
import { clearLeakedCounters } from './actions/clear-leaked-counters';
import { flushConnectionTokens } from './actions/flush-connection-tokens';
import { freeConversationLock } from './actions/free-conversation-lock';
import { restartAll } from './actions/restart-all';
import { restartBackend } from './actions/restart-backend';
import { restartCelery } from './actions/restart-celery';
import { restartRedis } from './actions/restart-redis';
import { stopFrontend } from './actions/stop-frontend';
import { fixCacheUrl } from './runbooks/fix-cache-url';
import { fixMetricsPath } from './runbooks/fix-metrics-path';
import { fixOrigins } from './runbooks/fix-origins';
import { fixSslRedirect } from './runbooks/fix-ssl-redirect';
import type { AnyAction, Runbook } from './types';

export const allActions: readonly AnyAction[] = [
  restartBackend,
  restartCelery,
  restartRedis,
  restartAll,
  flushConnectionTokens,
  clearLeakedCounters,
  freeConversationLock,
  stopFrontend,
];

export const allRunbooks: readonly Runbook[] = [fixSslRedirect, fixOrigins, fixCacheUrl, fixMetricsPath];

export function findAction(id: string): AnyAction | undefined {
  return allActions.find((a) => a.id === id);
}

export function findRunbook(id: string): Runbook | undefined {
  return allRunbooks.find((r) => r.id === id);
}
