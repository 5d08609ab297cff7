/**
 * Every check ws-doctor has, in display order. Adding a check = one file + one line here. Order matters only for
 * display and for `withDependencies` (it keeps registry order); `after` decides what runs first.
 */
import { celeryQueue } from './celery-queue';
import { channelLayer } from './channel-layer';
import { chatHandshake } from './chat-handshake';
import { containers } from './containers';
import { containerRestarts } from './containers-restarts';
import { frontendConflict } from './frontend-conflict';
import { backendLogs } from './logs-backend';
import { dbHealth } from './db-health';
import { httpLiveness } from './http-liveness';
import { metrics } from './metrics';
import { prometheus } from './prometheus';
import { redisServer } from './redis';
import { tokenIssuance } from './token-issuance';
import { tokenStorage } from './token-storage';
import type { Check } from './types';
import { wsCounters } from './ws-counters';
import { wsEdge } from './ws-edge';

export const allChecks: readonly Check[] = [
  httpLiveness,
  dbHealth,
  wsEdge,
  tokenIssuance,
  tokenStorage,
  chatHandshake,
  channelLayer,
  redisServer,
  celeryQueue,
  wsCounters,
  metrics,
  prometheus,
  // Docker Engine API (each disabled when docker.enabled is false).
  containers,
  containerRestarts,
  backendLogs,
  frontendConflict,
];

export function findCheck(name: string): Check | undefined {
  return allChecks.find((c) => c.name === name);
}
