/**
 * `alerts:` — alert rules, their schedule, where cards go, maintenance windows and the Alertmanager receiver.
 */
import { z } from 'zod';
import { parsePromDuration } from '../util/prom-duration';

const duration = (def: string, what: string) =>
  z
    .string()
    .refine((s) => parsePromDuration(s) !== undefined, { message: 'expected a duration like 30s, 5m or 1h' })
    .default(def)
    .describe(what);

export const maintenanceWindowSchema = z.strictObject({
  env: z.string().optional().describe('Environment (default: every environment alerts run for).'),
  start: z.iso.datetime({ offset: true }).describe('Start, ISO 8601 with offset (`2026-12-01T22:00:00Z`).'),
  end: z.iso.datetime({ offset: true }).describe('End, ISO 8601 with offset.'),
  reason: z.string().default('planned maintenance').describe('Shown on cards and in `/ws alerts`.'),
});

export const alertsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Evaluate alert rules on a schedule (needs `alerts.channel` for Slack cards).'),
    rules: z
      .array(z.string())
      .default(['rules/allthrive.yml'])
      .describe('Rule files (Prometheus alerting-rule format plus ws-doctor fields); relative paths are read from the working directory, then from the package.'),
    interval: duration('15s', 'Evaluation interval of groups without their own `interval` (seconds dividing 60, or whole minutes dividing 60).'),
    channel: z.string().optional().describe('Slack channel id for incident cards (a rule\'s `channel` overrides it).'),
    console: z
      .boolean()
      .default(false)
      .describe('Also evaluate rules in console mode (no Slack): cards are printed as they change, their buttons pressed with `press <n>`.'),
    envs: z.array(z.string()).default([]).describe('Environments whose rules are evaluated; empty = `defaultEnv` only.'),
    flapping: z
      .strictObject({
        transitions: z.number().int().min(2).default(4).describe('Fire/resolve changes within `window` that mark an alert flapping.'),
        window: duration('10m', 'Flap detection window.'),
      })
      .prefault({}),
    silenceNotice: duration('5m', 'How long before a silence ends its card\'s thread gets a notice.'),
    reopenWithin: duration('1h', 'A resolved incident that fires again within this reopens its card instead of posting a new one.'),
    queryTimeout: duration('5s', 'Timeout of one Prometheus query.'),
    maintenance: z.array(maintenanceWindowSchema).default([]).describe('Planned maintenance windows: nothing is announced during them.'),
    graph: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Upload a PNG graph of the alerting series to the card\'s thread.'),
        range: duration('1h', 'Time range of the graph.'),
      })
      .prefault({}),
    alertmanager: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Accept Alertmanager webhooks at `POST /alertmanager`.'),
        token: z.string().optional().describe('Shared secret (Bearer token or `?secret=`). Prefer env `WS_DOCTOR_ALERTMANAGER_TOKEN`.'),
        port: z.number().int().positive().optional().describe('Own listener port in Socket Mode / console mode (HTTP mode serves it on the Slack port).'),
        host: z.string().default('127.0.0.1').describe('Own listener address.'),
        env: z.string().optional().describe('Environment the webhook\'s alerts belong to (default `defaultEnv`).'),
      })
      .prefault({}),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
