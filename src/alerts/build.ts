/**
 * Builds the alert service from the config: rule files (working directory first, then the package's own
 * `rules/`), one Prometheus client per environment, the graph renderer, config maintenance windows, and the
 * Alertmanager intake's token. The caller brings the state store and the sink (Slack, console).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { allChecks } from '../checks/registry';
import type { Config } from '../config/schema';
import type { StateStore } from '../state/store';
import { PrometheusQueryClient } from '../targets/prometheus';
import { parsePromDuration } from '../util/prom-duration';
import type { CheckRunner } from './evaluator';
import { graphForIncident } from './graph';
import { loadRuleFiles, formatProblem } from './rules/load';
import { AlertService } from './service';
import type { IncidentSink } from './sink';
import type { MaintenanceWindow } from './types';

/**
 * The package's root (where the bundled rules/ live): the nearest folder above this file with a package.json —
 * src/alerts/ and dist/alerts/ (tsc) sit two levels down, the one-file bundle in dist/ one.
 */
const PACKAGE_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
})();

export class AlertsConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`alert rules not loaded:\n  ${problems.join('\n  ')}`);
    this.name = 'AlertsConfigError';
  }
}

export function resolveRuleFile(file: string): string {
  if (path.isAbsolute(file) || existsSync(file)) return file;
  const bundled = path.join(PACKAGE_ROOT, file);
  return existsSync(bundled) ? bundled : file;
}

export function alertEnvs(config: Config): string[] {
  return config.alerts.envs.length ? config.alerts.envs : [config.defaultEnv];
}

const ms = (d: string, fallback: number): number => parsePromDuration(d) ?? fallback;

export function buildAlertService(o: {
  config: Config;
  store: StateStore;
  sink: IncidentSink;
  checks: CheckRunner & { checkNames?(env: string): string[] };
  checkNames: readonly string[];
  log?: { info(msg: string): void; warn(msg: string): void };
  now?: () => number;
}): AlertService {
  const a = o.config.alerts;
  const envs = alertEnvs(o.config);
  for (const e of envs) if (!(e in o.config.environments)) throw new AlertsConfigError([`alerts.envs: no environment named "${e}"`]);
  // Names are checked against every check ws-doctor has, not only those enabled here: the bundled pack names the
  // Docker checks, and a stack without an engine must still load it (those rules then neither fire nor resolve).
  const checkNames = [...new Set([...o.checkNames, ...allChecks.map((c) => c.name)])];
  const loaded = loadRuleFiles(a.rules.map(resolveRuleFile), { defaultIntervalMs: ms(a.interval, 15_000), checkNames });
  if (loaded.problems.length) throw new AlertsConfigError(loaded.problems.map(formatProblem));
  const clients = new Map<string, PrometheusQueryClient>();
  for (const env of envs) {
    const p = o.config.environments[env]?.prometheus;
    if (p?.enabled) clients.set(env, new PrometheusQueryClient({ url: p.url, timeoutMs: ms(a.queryTimeout, 5000) }));
  }
  const configMaintenance: MaintenanceWindow[] = a.maintenance.flatMap((w, i) =>
    (w.env ? [w.env] : envs).map((env) => ({ id: `config-${i}-${env}`, env, startsAt: Date.parse(w.start), endsAt: Date.parse(w.end), reason: w.reason, createdBy: 'config', from: 'config' as const })),
  );
  const rangeMs = ms(a.graph.range, 3_600_000);
  return new AlertService({
    store: o.store,
    sink: o.sink,
    rules: loaded.rules,
    envs,
    prometheusFor: (env) => clients.get(env),
    checks: o.checks,
    defaultChannel: a.channel ?? '',
    flap: { transitions: a.flapping.transitions, windowMs: ms(a.flapping.window, 600_000) },
    silenceNoticeMs: ms(a.silenceNotice, 300_000),
    reopenWithinMs: ms(a.reopenWithin, 3_600_000),
    configMaintenance,
    ...(a.graph.enabled
      ? {
          graph: async (view) => {
            const c = clients.get(view.incident.env);
            return c ? await graphForIncident(view, c, rangeMs, o.now?.() ?? Date.now()) : undefined;
          },
        }
      : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
}

/** The webhook's shared token: config, else `WS_DOCTOR_ALERTMANAGER_TOKEN`. */
export function alertmanagerToken(config: Config, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config.alerts.alertmanager.token ?? env.WS_DOCTOR_ALERTMANAGER_TOKEN ?? undefined;
}
