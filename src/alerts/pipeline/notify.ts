/**
 * notify: one card per incident, drawn from every member's current state, posted once and then redrawn in
 * place; what changed goes into the card's thread (fired again, resolved, flapping). A new firing card is
 * urgent (ahead of queued redraws when Slack is backed up). Delivery state is written to each alert only after
 * Slack took the message, so a failed post is retried on the next tick and a restart re-posts nothing.
 */
import { formatDuration } from '../../util/prom-duration';
import { activeWindow } from './maintenance';
import { silenceFor } from './silence';
import type { AlertState, Incident, IncidentView, ThreadNote } from '../types';
import type { PipelineContext, PipelineItem, Stage } from './types';

export const notifyStage: Stage = {
  name: 'notify',
  async run(items, ctx) {
    const byIncident = new Map<string, PipelineItem[]>();
    for (const item of items) {
      const key = item.incidentKey ?? `alert:${item.alert.env}:${item.alert.fingerprint}`;
      byIncident.set(key, [...(byIncident.get(key) ?? []), item]);
    }
    const delivered: PipelineItem[] = [];
    for (const [key, group] of byIncident) {
      try {
        await deliver(key, group, ctx);
        delivered.push(...group);
      } catch (err) {
        ctx.log?.warn(`incident ${key} not delivered (retried next tick): ${(err as Error).message}`);
      }
    }
    return delivered;
  },
};

/** The view of an incident as it stands (members looked up in the live alerts, falling back to the store). */
export async function incidentView(inc: Incident, ctx: Pick<PipelineContext, 'alerts' | 'rules' | 'silences' | 'maintenance' | 'store' | 'now'>, override = new Map<string, AlertState>()): Promise<IncidentView | undefined> {
  const states: AlertState[] = [];
  for (const fp of inc.members) {
    const a = override.get(fp) ?? ctx.alerts.get(fp) ?? (await ctx.store.alert(inc.env, fp));
    if (a) states.push(a);
  }
  const root = states[0];
  if (!root) return undefined;
  const symptoms = states.slice(1);
  const anyFiring = states.some((s) => s.phase === 'firing' || s.phase === 'pending');
  const status: IncidentView['status'] = root.flapping ? 'flapping' : anyFiring ? 'firing' : 'resolved';
  const silence = silenceFor(ctx.silences, root, ctx.now);
  const maintenance = activeWindow(ctx.maintenance, inc.env, ctx.now);
  const rootRule = ctx.rules.get(root.rule);
  return { incident: inc, root, ...(rootRule ? { rootRule } : {}), symptoms, ...(silence ? { silence } : {}), ...(maintenance ? { maintenance } : {}), status };
}

async function deliver(key: string, group: PipelineItem[], ctx: PipelineContext): Promise<void> {
  const now = ctx.now;
  let inc = ctx.incidents.get(key);
  const first = group.find((g) => g.rootFingerprint === g.alert.fingerprint) ?? group[0]!;
  const anyFiring = group.some((g) => g.alert.phase === 'firing');
  let reopened = false;
  if (inc && inc.closedAt !== undefined) {
    if (anyFiring && now - inc.closedAt <= ctx.reopenWithinMs && inc.card) {
      reopened = true;
      inc = { ...inc, members: [...inc.members] };
      delete inc.closedAt;
      delete inc.ackedBy;
    } else if (anyFiring) {
      inc = undefined; // a new episode gets a new card
    } else {
      // A resolve for a closed incident: nothing to say (already green).
      await markDelivered(group, key, ctx);
      return;
    }
  }
  if (!inc) {
    if (!anyFiring && !group.some((g) => g.alert.flapping)) {
      await markDelivered(group, key, ctx);
      return;
    }
    inc = {
      key,
      env: first.alert.env,
      title: first.incidentTitle ?? first.alert.rule,
      ...(first.cause ? { cause: first.cause } : {}),
      channel: first.rule?.channel ?? ctx.defaultChannel,
      members: [first.rootFingerprint ?? first.alert.fingerprint],
      openedAt: now,
      ...(first.alert.test ? { test: true } : {}),
    };
  } else {
    inc = { ...inc, members: [...inc.members] };
  }
  for (const g of group) if (!inc.members.includes(g.alert.fingerprint)) inc.members.push(g.alert.fingerprint);

  const override = new Map(group.map((g) => [g.alert.fingerprint, g.alert] as const));
  const view = await incidentView(inc, ctx, override);
  if (!view) return;
  if (view.status === 'resolved' && inc.closedAt === undefined) inc.closedAt = now;

  const isNew = !inc.card;
  if (isNew) {
    inc.card = await ctx.sink.postCard({ ...view, incident: inc }, inc.channel ?? ctx.defaultChannel, { urgent: anyFiring });
  } else {
    await ctx.sink.updateCard({ ...view, incident: inc });
  }
  ctx.incidents.set(key, inc);
  await ctx.store.putIncident(inc);
  const finalView = { ...view, incident: inc };
  await detachMoved(group, key, inc, ctx);
  if (isNew) ctx.onCardPosted?.(finalView);
  else {
    for (const g of group) {
      const note = noteFor(g, reopened, now);
      if (note && !g.quiet) await ctx.sink.threadNote(finalView, note);
    }
  }
  await markDelivered(group, key, ctx);
}

function noteFor(g: PipelineItem, reopened: boolean, now: number): ThreadNote | undefined {
  const a = g.alert;
  const n = a.notified;
  const name = a.test ? `${a.rule} (test)` : a.rule;
  if (a.flapping && !n?.flapping) {
    return { kind: 'flapping', text: `${name} is flapping: ${a.transitions.length} changes recently. Fire/resolve notices are paused until it settles.` };
  }
  if (!a.flapping && n?.flapping) return { kind: 'info', text: `${name} stopped flapping; it is now ${a.phase}.` };
  if (a.phase === 'firing' && (reopened || n?.phase === 'resolved')) return { kind: 'repeat', text: `${name} fired again.` };
  if (a.phase === 'firing' && !n) return { kind: 'fired', text: `${name} is firing too.` };
  if (a.phase === 'resolved' && n?.phase === 'firing') {
    const lasted = a.firedAt !== undefined ? ` after ${formatDuration((a.resolvedAt ?? now) - a.firedAt)}` : '';
    return { kind: 'resolved', text: `${name} resolved${lasted}.` };
  }
  return undefined;
}

/**
 * Alerts that moved here from another open incident (a symptom that fired before its cause) leave it; an
 * incident left empty is closed and its card says where its alerts went, instead of staying red forever.
 */
async function detachMoved(group: PipelineItem[], key: string, into: Incident, ctx: PipelineContext): Promise<void> {
  for (const g of group) {
    const from = g.alert.notified?.incident;
    if (!from || from === key) continue;
    const old = ctx.incidents.get(from);
    if (!old || old.closedAt !== undefined) continue;
    const members = old.members.filter((fp) => fp !== g.alert.fingerprint);
    const left: Incident = { ...old, members: members.length ? members : old.members };
    if (!members.length) {
      left.closedAt = ctx.now;
      left.mergedInto = { key, title: into.title };
    }
    ctx.incidents.set(from, left);
    await ctx.store.putIncident(left);
    const view = await incidentView(left, ctx);
    if (view && left.mergedInto) {
      await ctx.sink.updateCard(view);
      await ctx.sink.threadNote(view, { kind: 'info', text: `Moved under "${into.title}": ${g.alert.rule} is a symptom of that cause.` });
    }
  }
}

async function markDelivered(group: PipelineItem[], key: string, ctx: PipelineContext): Promise<void> {
  for (const g of group) {
    if (g.alert.test) continue;
    const updated: AlertState = { ...g.alert, notified: { phase: g.alert.phase, flapping: g.alert.flapping, at: ctx.now, incident: key } };
    await ctx.store.putAlert(updated);
  }
}
