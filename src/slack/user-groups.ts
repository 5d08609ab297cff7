/**
 * Slack user groups (`S…`) in the policy's request/approve/command lists: who is in them, asked of Slack with
 * `usergroups.users.list` (scope `usergroups:read`) through the outbound queue, and trusted for a short while
 * (`policy.userGroupCacheSeconds`) so a burst of presses costs one call per group, while someone removed from
 * on-call loses the right within that time.
 *
 * Fails closed: a group Slack does not answer for (missing scope, unknown group, Slack down, slow) is reported
 * back as unresolved with the reason, and the policy denies — saying why — instead of guessing. A failure is
 * remembered only briefly, so the next press after Slack recovers asks again.
 */
import type { Principal } from '../remediations/policy';
import type { OutboundQueue } from './outbound-queue';

interface Entry {
  at: number;
  members?: ReadonlySet<string>;
  error?: string;
}

export interface UserGroupOptions {
  ttlMs: number;
  /** How long a failed lookup is remembered before Slack is asked again. Default 5 s. */
  failureTtlMs?: number;
  now?: () => number;
}

export class UserGroupDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private readonly now: () => number;

  constructor(
    private readonly queue: OutboundQueue,
    private readonly opts: UserGroupOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Drop what is cached (tests; an operator changing the groups). */
  clear(): void {
    this.cache.clear();
  }

  /**
   * `who` with `groups` (the ones of `candidates` they are in) and `unresolvedGroups` (the ones that could not
   * be looked up within `timeoutMs`). Never rejects.
   */
  async principal(who: Principal, candidates: readonly string[], timeoutMs: number): Promise<Principal> {
    if (!candidates.length) return who;
    const entries = await Promise.all(candidates.map((g) => this.lookup(g, timeoutMs).then((e) => [g, e] as const)));
    const groups = entries.filter(([, e]) => e.members?.has(who.id)).map(([g]) => g);
    const unresolved = entries.filter(([, e]) => !e.members).map(([group, e]) => ({ group, reason: e.error ?? 'no answer' }));
    return { ...who, groups, ...(unresolved.length ? { unresolvedGroups: unresolved } : {}) };
  }

  private async lookup(group: string, timeoutMs: number): Promise<Entry> {
    const hit = this.cache.get(group);
    const now = this.now();
    if (hit && now - hit.at < (hit.members ? this.opts.ttlMs : (this.opts.failureTtlMs ?? 5000))) return hit;
    let running = this.inFlight.get(group);
    if (!running) {
      running = this.fetch(group).finally(() => this.inFlight.delete(group));
      this.inFlight.set(group, running);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Entry>((resolve) => {
      timer = setTimeout(() => resolve({ at: now, error: `Slack did not answer usergroups.users.list within ${timeoutMs} ms` }), timeoutMs);
    });
    try {
      return await Promise.race([running, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(group: string): Promise<Entry> {
    let entry: Entry;
    try {
      const res = await this.queue.enqueue({ lane: 'usergroups', call: { type: 'api', method: 'usergroups.users.list', args: { usergroup: group } } });
      const users = res.users;
      entry =
        res.ok !== false && Array.isArray(users) && users.every((u) => typeof u === 'string')
          ? { at: this.now(), members: new Set(users as string[]) }
          : { at: this.now(), error: `usergroups.users.list answered ${typeof res.error === 'string' ? res.error : 'without a user list'}` };
    } catch (err) {
      const e = err as { error?: string; message?: string };
      entry = { at: this.now(), error: `usergroups.users.list failed: ${e.error ?? e.message ?? String(err)}` };
    }
    this.cache.set(group, entry);
    return entry;
  }
}
