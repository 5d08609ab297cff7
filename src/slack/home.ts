/**
 * App Home: a live board of the last status per environment and the most recent check results. Published with
 * views.publish when someone opens the tab (`app_home_opened`) and again, for everyone who has it open recently,
 * after each run (debounced; successive publishes for one user are merged in the outbound queue).
 */
import { inlineCode, literal, retypeMessage } from '../chat/text';
import type { DoctorApi } from '../core/api';
import type { HistoryEntry } from '../state/history';
import { STATUS_EMOJI, type MessageBlock, type MessageModel } from '../chat/model';
import { countStatuses } from '../chat/status-message';
import type { OutboundQueue } from './outbound-queue';
import { renderHome } from './render';

const MAX_ENVS = 8;
const RECENT = 10;

export interface HomeState {
  /** Environments with a run in progress (shown as "running…"). */
  running: ReadonlySet<string>;
  prefix: string;
  now?: Date;
  /** The newest results across the shown environments (read from the state store before building). */
  recent?: HistoryEntry[];
}

/** Which environments the board shows: the default first, at most MAX_ENVS. */
function shownEnvs(doctor: DoctorApi): string[] {
  const envs = doctor.envNames();
  return [doctor.defaultEnv, ...envs.filter((e) => e !== doctor.defaultEnv)].filter((e) => envs.includes(e)).slice(0, MAX_ENVS);
}

/** The newest results of the board's environments; a state store that cannot be read leaves the list empty. */
export async function recentHistory(doctor: DoctorApi): Promise<HistoryEntry[]> {
  const lists = await Promise.all(shownEnvs(doctor).map((env) => doctor.history(env, { limit: RECENT }).catch(() => [] as HistoryEntry[])));
  return lists
    .flat()
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, RECENT);
}

export function homeModel(doctor: DoctorApi, state: HomeState): MessageModel {
  const envs = doctor.envNames();
  const shown = shownEnvs(doctor);
  const now = state.now ?? new Date();
  const blocks: MessageBlock[] = [
    { type: 'header', text: 'ws-doctor — WebSocket stack health' },
    {
      type: 'context',
      text: `Updated ${now.toISOString().replace('T', ' ').slice(0, 19)} UTC · type \`${state.prefix} status\` in any channel, or press *Run status*.`,
    },
  ];
  for (const env of shown) {
    blocks.push({ type: 'divider' });
    const report = doctor.lastReport(env);
    const running = state.running.has(env);
    if (report) {
      blocks.push({ type: 'verdict', overall: report.verdict.overall, text: `${env}: ${report.verdict.headline}` });
      blocks.push({
        type: 'checks',
        rows: [...report.findings]
          .sort((a, b) => rank(a.status) - rank(b.status))
          .map((f) => ({
            status: f.status,
            name: f.check,
            summary: f.summary,
            durationMs: f.durationMs,
            ...(report.verdict.explainedBy[f.check] ? { explainedBy: report.verdict.explainedBy[f.check] } : {}),
          })),
      });
      blocks.push({
        type: 'context',
        text: `${running ? ':hourglass_flowing_sand: running… · ' : ''}last run ${report.startedAt} · ${report.findings.length} checks in ${report.durationMs} ms · ${countStatuses(report.findings)}`,
      });
    } else {
      blocks.push({ type: 'text', text: `*${env}* — ${running ? ':hourglass_flowing_sand: running…' : 'no run yet.'}` });
    }
    blocks.push({ type: 'actions', actions: [{ kind: 'rerun', label: `Run status (${env})`, accessibilityLabel: `Run every check on ${env} now`, value: { env }, ...(running ? {} : { style: 'primary' as const }) }] });
  }
  if (envs.length > shown.length) blocks.push({ type: 'context', text: `${envs.length - shown.length} more environments: use \`${state.prefix} status --env <name>\`.` });

  const recent = state.recent ?? [];
  blocks.push({ type: 'divider' }, { type: 'header', text: 'Recent checks' });
  blocks.push({
    type: 'text',
    text: recent.length
      ? recent.map((e) => `${STATUS_EMOJI[e.finding.status]} ${inlineCode(e.env)} *${literal(e.finding.check)}* — ${literal(e.finding.summary)} · ${e.at}`).join('\n')
      : 'Nothing yet.',
  });
  // Check summaries and next steps name commands as `/ws …`: shown with the configured slash command.
  return retypeMessage({ text: 'ws-doctor home', blocks }, state.prefix);
}

function rank(s: string): number {
  return ({ fail: 0, unknown: 1, warn: 2, ok: 3 } as Record<string, number>)[s] ?? 4;
}

export interface HomeBoardOptions {
  /** Seals the board's button values (chat/actions/seal.ts); without it they go out as plain JSON. */
  seal?: (model: MessageModel) => MessageModel;
  /** How long a viewer keeps getting live updates after opening the tab. Default 24 h. */
  viewerTtlMs?: number;
  maxViewers?: number;
  debounceMs?: number;
  onError?: (err: unknown) => void;
}

export class HomeBoard {
  private readonly viewers = new Map<string, number>();
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly ttl: number;
  private readonly maxViewers: number;
  private readonly debounceMs: number;

  constructor(
    private readonly doctor: DoctorApi,
    private readonly queue: OutboundQueue,
    private readonly prefix: string,
    private readonly opts: HomeBoardOptions = {},
  ) {
    this.ttl = opts.viewerTtlMs ?? 24 * 60 * 60 * 1000;
    this.maxViewers = opts.maxViewers ?? 200;
    this.debounceMs = opts.debounceMs ?? 250;
  }

  /** Someone opened the Home tab: remember them and publish now. */
  async opened(user: string): Promise<void> {
    this.viewers.delete(user);
    this.viewers.set(user, Date.now());
    while (this.viewers.size > this.maxViewers) {
      const oldest = this.viewers.keys().next().value;
      if (oldest === undefined) break;
      this.viewers.delete(oldest);
    }
    await this.publish(user);
  }

  setRunning(env: string, on: boolean): void {
    if (on) this.running.add(env);
    else this.running.delete(env);
    this.refreshSoon();
  }

  /** Republish for every recent viewer, once, shortly (runs finishing together cause one publish each). */
  refreshSoon(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.publishAll();
    }, this.debounceMs);
    this.timer.unref?.();
  }

  async publishAll(): Promise<void> {
    const now = Date.now();
    const users = [...this.viewers].filter(([, at]) => now - at <= this.ttl).map(([u]) => u);
    for (const [u, at] of this.viewers) if (now - at > this.ttl) this.viewers.delete(u);
    await Promise.all(users.map((u) => this.publish(u)));
  }

  async publish(user: string): Promise<void> {
    if (this.closed) return;
    const model = homeModel(this.doctor, { running: this.running, prefix: this.prefix, recent: await recentHistory(this.doctor) });
    const view = renderHome(this.opts.seal ? this.opts.seal(model) : model);
    try {
      await this.queue.enqueue({
        lane: `home:${user}`,
        mergeKey: `home:${user}`,
        call: { type: 'api', method: 'views.publish', args: { user_id: user, view } },
      });
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
