/**
 * `/ws alerts` — active alerts with state and age (and why any is held back);
 * `/ws alerts test <rule>` — a test notification through the whole path, marked as a test;
 * `/ws alerts rules` — the loaded rules.
 */
import { parseDurationSeconds } from '../../util/duration';
import { formatDuration } from '../../util/prom-duration';
import type { MessageBlock, MessageModel } from '../model';
import { inlineCode, literal } from '../text';
import { unknownNameError } from '../parse';
import type { CommandContext, CommandSpec } from './types';

const notRunning = (ctx: Pick<CommandContext, 'prefix'>): MessageModel => ({
  text: 'Alert rules are not running in this process.',
  blocks: [{ type: 'text', text: `Alert rules are not running here (\`alerts.enabled\` off, no rules loaded, or no \`alerts.channel\` for cards). \`${ctx.prefix} help\` lists the commands.` }],
});

export const alertsCommand: CommandSpec = {
  name: 'alerts',
  usage: 'alerts [test <rule> | silence <rule> <duration> [comment] | rules] [--env E]',
  summary: 'Active alerts with state and age; `test <rule>` sends a test notification through the whole path.',
  examples: ['alerts', 'alerts test RedisDown', 'alerts silence CeleryBacklog 30m deploying workers', 'alerts rules'],
  slow: false,
  validate(args, { doctor }) {
    const [sub, ...rest] = args;
    if (sub === undefined) return undefined;
    if (sub === 'rules') return rest.length ? '`alerts rules` takes no arguments.' : undefined;
    if (sub === 'test') {
      if (rest.length !== 1) return '`alerts test` takes one rule name.';
      const names = doctor.alerts?.rules.map((r) => r.name);
      return names ? unknownNameError('rule', rest[0] ?? '', names) : undefined;
    }
    if (sub === 'silence') {
      const [rule, d] = rest;
      if (!rule || !d) return '`alerts silence` needs a rule and a duration, e.g. `alerts silence RedisDown 30m`.';
      const s = parseDurationSeconds(d);
      if (s === undefined || s < 60 || s > 30 * 86400) return `\`${literal(d)}\` is not a silence length: use 1m … 30d, e.g. \`30m\`, \`8h\`, \`2d\`.`;
      const names = doctor.alerts?.rules.map((r) => r.name);
      return names ? unknownNameError('rule', rule, names) : undefined;
    }
    return `Unknown \`alerts\` subcommand ${inlineCode(sub)}: use \`alerts\`, \`alerts test <rule>\`, \`alerts silence <rule> <duration>\` or \`alerts rules\`.`;
  },
  async run(ctx, args) {
    const api = ctx.doctor.alerts;
    if (!api) return notRunning(ctx);
    const [sub, name] = args;
    if (sub === 'test') {
      const r = await api.test(name ?? '', ctx.env, ctx.user?.id ?? ctx.surface);
      return { text: r.message, blocks: [{ type: 'text', text: `${r.ok ? '🧪' : ':warning:'} ${literal(r.message)}` }] };
    }
    if (sub === 'silence') {
      const [rule = '', d = '', ...comment] = args.slice(1);
      const r = await api.silenceRule(rule, ctx.env, (parseDurationSeconds(d) ?? 0) * 1000, ctx.user?.id ?? ctx.surface, comment.join(' '));
      return { text: r.message, blocks: [{ type: 'text', text: `${r.ok ? '🔕' : ':warning:'} ${literal(r.message)}` }] };
    }
    if (sub === 'rules') {
      const lines = api.rules.map((r) => `• ${inlineCode(r.name)} — ${r.kind === 'prom' ? `PromQL, for ${formatDuration(r.forMs)}` : `check ${inlineCode(r.check)} ×${r.failAfter}`} · ${r.severity}${r.dependsOn.length ? ` · after ${r.dependsOn.map(inlineCode).join(', ')}` : ''}`);
      return { text: `${api.rules.length} alert rules`, blocks: [{ type: 'header', text: `Alert rules (${api.rules.length})` }, { type: 'text', text: lines.join('\n') || 'No rules loaded.' }] };
    }
    const now = Date.now();
    const { alerts, errors, prometheusDown } = await api.list(ctx.env);
    const maint = await api.activeMaintenance(ctx.env);
    const blocks: MessageBlock[] = [{ type: 'header', text: `Alerts — ${ctx.env}` }];
    if (prometheusDown) blocks.push({ type: 'text', text: `:rotating_light: Cannot evaluate PromQL rules: ${literal(prometheusDown)}. Their states are frozen, nothing resolves until Prometheus answers.` });
    if (maint) blocks.push({ type: 'context', text: `🛠 Maintenance until ${new Date(maint.endsAt).toISOString().slice(0, 16)}Z: ${literal(maint.reason)}` });
    if (!alerts.length) blocks.push({ type: 'text', text: `✅ No active alerts (${api.rules.length} rules).` });
    else {
      const emoji = { firing: '🔴', pending: '🟡', resolved: '✅', inactive: '⚪' } as const;
      const lines = alerts.slice(0, 40).map((a) => {
        const extra = [a.flapping ? 'flapping' : '', a.silencedUntil ? `silenced until ${new Date(a.silencedUntil).toISOString().slice(11, 16)} UTC` : '', a.heldBy ? `held: ${a.heldBy}` : '']
          .filter(Boolean)
          .map(literal)
          .join(' · ');
        return `${emoji[a.phase]} *${a.phase}* ${inlineCode(a.rule)} for ${formatDuration(now - a.since)} — ${literal(a.summary)}${extra ? ` _(${extra})_` : ''}`;
      });
      blocks.push({ type: 'text', text: lines.join('\n') });
      if (alerts.length > 40) blocks.push({ type: 'context', text: `…and ${alerts.length - 40} more.` });
    }
    for (const e of errors.slice(0, 5)) blocks.push({ type: 'context', text: `:warning: rule ${inlineCode(e.rule)}: ${literal(e.error)}` });
    const firing = alerts.filter((a) => a.phase === 'firing').length;
    return { text: `${firing} firing, ${alerts.length - firing} pending on ${ctx.env}`, blocks };
  },
};
