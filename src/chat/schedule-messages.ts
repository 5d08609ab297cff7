/** The scheduler's messages: a verdict change with what moved, the daily digest, `/ws schedule`'s job list. */
import type { ScheduleView } from '../core/api';
import type { Overall } from '../diagnosis/types';
import type { Status } from '../checks/types';
import type { DigestView, StatusChangeView } from '../scheduler/types';
import { OVERALL_EMOJI, STATUS_EMOJI, type MessageBlock, type MessageModel } from './model';
import { inlineCode, literal } from './text';

const overallEmoji = (o: string | undefined): string => (o && o in OVERALL_EMOJI ? OVERALL_EMOJI[o as Overall] : '❔');
const statusEmoji = (s: string | undefined): string => (s && s in STATUS_EMOJI ? STATUS_EMOJI[s as Status] : '∅');
const asOverall = (o: string): Overall => (o === 'ok' || o === 'degraded' || o === 'down' ? o : 'unknown');

export function statusChangeMessage(v: StatusChangeView): MessageModel {
  const from = v.from ?? 'unknown';
  const blocks: MessageBlock[] = [
    { type: 'header', text: `Status changed on ${v.env}: ${from} → ${v.to}` },
    { type: 'verdict', overall: asOverall(v.to), text: v.headline },
  ];
  if (v.nextStep) blocks.push({ type: 'text', text: `*Next step:* ${v.nextStep}` });
  if (v.checks.length) {
    blocks.push({
      type: 'text',
      text: v.checks
        .slice(0, 20)
        .map((c) => `${statusEmoji(c.from)} → ${statusEmoji(c.to)} ${inlineCode(c.check)} ${c.from ?? 'new'} → ${c.to ?? 'gone'}`)
        .join('\n'),
    });
  }
  blocks.push({
    type: 'context',
    text: `scheduled status · ${from} since ${v.fromAt ?? '?'} · ${v.at} · ${inlineCode(`/ws status --env ${v.env}`)} for the full answer`,
  });
  return { text: `${overallEmoji(v.to)} ${v.env}: ${from} → ${v.to}: ${v.headline}`, blocks, visibility: 'channel' };
}

export function digestMessage(v: DigestView): MessageModel {
  const blocks: MessageBlock[] = [{ type: 'header', text: 'ws-doctor daily digest' }];
  for (const u of v.uptime) {
    const rows = [...u.checks]
      .map((c) => ({ ...c, pct: c.total ? (100 * c.up) / c.total : 100 }))
      .sort((a, b) => a.pct - b.pct || a.check.localeCompare(b.check))
      .map((r) => `${r.pct === 100 ? '✅' : r.pct >= 99 ? '⚠️' : '❌'} ${inlineCode(r.check)} ${r.pct === 100 ? '100' : r.pct.toFixed(1)}% (${r.up}/${r.total})`);
    blocks.push({ type: 'text', text: `*Uptime on ${literal(u.env)}* (${u.runs} scheduled runs)\n${rows.length ? rows.join('\n') : '_no scheduled runs yet_'}` });
  }
  const incidents = v.incidents.map((i) => `${overallEmoji(i.to)} ${i.at} ${inlineCode(i.env)} ${i.from ?? '?'} → ${i.to}: ${literal(i.headline)}`);
  blocks.push({ type: 'text', text: `*Incidents* (${incidents.length})\n${incidents.length ? incidents.slice(0, 30).join('\n') : '_none_'}` });
  for (const s of v.sections) {
    blocks.push({ type: 'text', text: `*${literal(s.title)}*\n${s.lines.length ? s.lines.map(literal).join('\n') : '_nothing_'}` });
  }
  blocks.push({ type: 'context', text: `${v.since} → ${v.until}` });
  return { text: `ws-doctor digest: ${incidents.length} incident(s) since ${v.since}`, blocks, visibility: 'channel' };
}

export function scheduleMessage(view: ScheduleView | undefined): MessageModel {
  const blocks: MessageBlock[] = [{ type: 'header', text: 'Scheduled jobs' }];
  if (!view) {
    blocks.push({ type: 'text', text: 'No scheduler here: scheduled jobs run while the bot runs as a Slack app (`schedule.enabled`).' });
    return { text: 'no scheduled jobs here', blocks };
  }
  for (const j of view.jobs) {
    const last = j.lastRun
      ? `${j.lastRun.ok ? '✅' : '❌'} ${j.lastRun.at} (${j.lastRun.ms} ms on ${inlineCode(j.lastRun.by)})${j.lastRun.note ? ` — ${literal(j.lastRun.note)}` : ''}`
      : 'never';
    blocks.push({
      type: 'text',
      text: `*${literal(j.name)}* ${inlineCode(`${j.cron}${j.timezone !== 'UTC' ? ` ${j.timezone}` : ''}`)}${j.running ? ' · running now' : ''}\n${literal(j.description)}\nLast: ${last}\nNext: ${j.nextRun ?? '—'}`,
    });
  }
  blocks.push({ type: 'context', text: `replica ${inlineCode(view.replica)} ${view.leader ? 'leads the schedule' : 'is on standby (another replica leads)'}` });
  return { text: `${view.jobs.length} scheduled job(s)`, blocks };
}
