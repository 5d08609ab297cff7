/**
 * The scheduler as main.ts starts it: the status, digest and cleanup jobs from `schedule.*`, on the given state
 * store, posting through the given notifier. Other parts of the bot add cleanup tasks and digest sections
 * through the returned handle (`addCleanup('silences', …)`, `addDigestSection('remediations', …)`).
 */
import os from 'node:os';
import type { Config } from '../config/schema';
import type { DoctorApi } from '../core/api';
import type { StateStore } from '../state/store';
import { cleanupJob, type CleanupTask } from './jobs/cleanup';
import { digestJob, type DigestSource } from './jobs/digest';
import { statusWatchJob } from './jobs/status-watch';
import { Scheduler } from './scheduler';
import type { Notifier } from './types';

export interface BotSchedule {
  scheduler: Scheduler;
  addCleanup(name: string, task: CleanupTask): void;
  addDigestSection(name: string, source: DigestSource): void;
}

/** This replica's name in leases and `/ws schedule`: host and pid (unique among replicas on one host too). */
export function replicaId(): string {
  return `${os.hostname()}:${process.pid}`;
}

export function buildSchedule(opts: {
  config: Config;
  doctor: Pick<DoctorApi, 'status' | 'envNames'>;
  store: StateStore;
  notifier?: Notifier;
  holder?: string;
  log?: (level: 'info' | 'warn', msg: string) => void;
}): BotSchedule {
  const s = opts.config.schedule;
  const scheduler = new Scheduler({ store: opts.store, holder: opts.holder ?? replicaId(), leaseTtlMs: s.leaseTtlMs, ...(opts.log ? { log: opts.log } : {}) });
  const cleanups = new Map<string, CleanupTask>();
  const sections = new Map<string, DigestSource>();
  const common = { store: opts.store, envs: s.envs, ...(s.channel ? { channel: s.channel } : {}), ...(opts.notifier ? { notifier: opts.notifier } : {}) };
  scheduler.add({ ...statusWatchJob({ ...common, doctor: opts.doctor, cron: s.status }), timezone: s.timezone });
  scheduler.add(digestJob({ ...common, doctor: opts.doctor, cron: s.digest, timezone: s.timezone, sources: sections }));
  scheduler.add({ ...cleanupJob(s.cleanup, cleanups), timezone: s.timezone });
  return {
    scheduler,
    addCleanup: (name, task) => void cleanups.set(name, task),
    addDigestSection: (name, source) => void sections.set(name, source),
  };
}
