/**
 * group: decides which incident card each alert belongs to — one card per root cause.
 *
 * - An alert whose `depends_on` names a firing alert joins that alert's incident (transitively: the root-most
 *   firing cause wins), so Redis down → token 5xx, handshake 403s and Celery backlog share Redis' card — also
 *   when the symptom fired first: it then moves from its own card to the cause's (notify marks the old one).
 * - Otherwise an alert already delivered to an open incident stays there (cards do not reshuffle).
 * - A check rule whose failure the diagnosis attributes to a cause joins `cause:<id>`: every alert explained
 *   by that cause shares one card named after the cause.
 * - Alertmanager alerts keep Alertmanager's own grouping (its groupKey).
 * - Anything else is its own incident.
 */
import type { AlertState } from '../types';
import type { PipelineContext, PipelineItem, Stage } from './types';

export const groupStage: Stage = {
  name: 'group',
  async run(items, ctx) {
    return items.map((item) => assign(item, ctx));
  },
};

function baseKey(a: AlertState): string {
  if (a.origin === 'alertmanager') return `am:${a.env}:${a.labels.__group_key ?? a.fingerprint}`;
  if (a.cause) return `cause:${a.env}:${a.cause.id}`;
  return `alert:${a.env}:${a.fingerprint}`;
}

/** The firing alert this one is a symptom of, root-most first; undefined when none fires. */
export function rootCauseOf(a: AlertState, ctx: PipelineContext, seen = new Set<string>()): AlertState | undefined {
  const rule = ctx.rules.get(a.rule);
  if (!rule || seen.has(a.rule)) return undefined;
  seen.add(a.rule);
  const firingCauses = [...ctx.alerts.values()]
    .filter((c) => rule.dependsOn.includes(c.rule) && c.env === a.env && c.phase === 'firing')
    .sort((x, y) => (x.firedAt ?? 0) - (y.firedAt ?? 0) || x.fingerprint.localeCompare(y.fingerprint));
  const cause = firingCauses[0];
  if (!cause) return undefined;
  return rootCauseOf(cause, ctx, seen) ?? cause;
}

function openIncidentOf(a: AlertState, ctx: PipelineContext): string | undefined {
  const key = a.notified?.incident;
  if (!key) return undefined;
  const inc = ctx.incidents.get(key);
  return inc && inc.closedAt === undefined ? key : undefined;
}

function titleOf(a: AlertState): string {
  return a.annotations.summary || a.annotations.title || a.rule;
}

function assign(item: PipelineItem, ctx: PipelineContext): PipelineItem {
  const a = item.alert;
  const rule = item.rule ?? ctx.rules.get(a.rule);
  // A firing cause wins over the alert's own card: symptoms that fired first move under their cause.
  const root = a.phase === 'firing' || a.phase === 'pending' ? rootCauseOf(a, ctx) : undefined;
  const kept = root ? undefined : openIncidentOf(a, ctx);
  if (kept) {
    const inc = ctx.incidents.get(kept)!;
    return { ...item, ...(rule ? { rule } : {}), incidentKey: kept, rootFingerprint: inc.members[0] ?? a.fingerprint, incidentTitle: inc.title, ...(inc.cause ? { cause: inc.cause } : {}) };
  }
  if (root) {
    const key = openIncidentOf(root, ctx) ?? baseKey(root);
    const inc = ctx.incidents.get(key);
    return {
      ...item,
      ...(rule ? { rule } : {}),
      incidentKey: key,
      rootFingerprint: inc && inc.closedAt === undefined ? (inc.members[0] ?? root.fingerprint) : root.fingerprint,
      incidentTitle: inc && inc.closedAt === undefined ? inc.title : titleOf(root),
      cause: inc?.cause ?? { kind: 'alert', id: root.rule, title: titleOf(root) },
    };
  }
  const key = baseKey(a);
  if (a.cause) {
    const inc = ctx.incidents.get(key);
    const open = inc && inc.closedAt === undefined;
    return {
      ...item,
      ...(rule ? { rule } : {}),
      incidentKey: key,
      rootFingerprint: open ? (inc.members[0] ?? a.fingerprint) : a.fingerprint,
      incidentTitle: a.cause.title,
      cause: { kind: 'diagnosis', id: a.cause.id, title: a.cause.title },
    };
  }
  return { ...item, ...(rule ? { rule } : {}), incidentKey: key, rootFingerprint: a.fingerprint, incidentTitle: titleOf(a) };
}
