/**
 * Plugs `fetchLogs` into the Doctor as its `logs` capability (the `logs` command of every adapter). The
 * service defaults to `docker.logService`; engine failures come out as errors whose message carries the reason
 * and the fix.
 */
import type { LogsQuery, LogsResult } from '../chat/commands/types';
import type { Doctor } from '../doctor';
import { fetchLogs } from './logs-command';

export function wireDockerLogs(doctor: Doctor): void {
  doctor.logs = async (env: string, q: LogsQuery): Promise<LogsResult> => {
    const cfg = doctor.config.environments[env];
    if (!cfg) throw new Error(`unknown environment "${env}"`);
    const target = doctor.targetsOf(env).docker();
    if (!target) throw new Error(`Docker is not configured for environment "${env}" (docker.enabled is false)`);
    const service = q.service ?? cfg.docker.logService;
    const r = await fetchLogs(target, {
      service,
      sinceSeconds: q.sinceSeconds,
      tail: q.tail,
      ...(q.grep !== undefined ? { grep: q.grep } : {}),
    });
    return { service, container: r.container, lines: r.lines, truncated: r.truncated };
  };
}
