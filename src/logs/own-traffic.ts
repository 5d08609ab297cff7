/**
 * The bot's own probe traffic in the backend's log, so it is never counted as the stack's symptoms. Every status
 * run logs in as the probe user, issues tokens, opens `probe-<ts>` (and `probe-rt-…`) chat sockets, proves the
 * token single-use by replaying it (→ `[WS_TOKEN] Invalid or expired token`, `Unauthenticated WebSocket
 * connection attempt for conversation probe-…`, a WSREJECT) and opens `/ws/health/`. Counted as symptoms, that
 * made every run after the first "Down" on a healthy stack.
 *
 * A line is the bot's own when it names a probe conversation or path, the probe user (by id or username, as the
 * real code's lines print them), or a token prefix the bot issued. Lines that name none of these but belong to a
 * probe request (the middleware's `Invalid or expired connection token: <prefix>...` before the path line, the
 * consumer's `WebSocket connect attempt: … user=None` before `Unauthenticated … probe-…`) are retracted when the
 * probe line that follows them arrives.
 */
import type { MarkerId } from './markers';

export interface ProbeIdentityView {
  userId?: number;
  username?: string;
  /** First 8 characters of connection tokens the bot issued recently. */
  tokenPrefixes?: Iterable<string>;
}

const PROBE_CONVERSATION = /\/ws\/chat\/probe-[\w-]+\/|conversation[= ]probe-[\w-]+|\/ws\/health\//;

export class OwnTraffic {
  private readonly userRe: RegExp | undefined;
  private readonly prefixes: Set<string>;

  constructor(id: ProbeIdentityView = {}) {
    const alts: string[] = [];
    if (id.userId !== undefined) {
      // `user=<id>,` (consumer), `(id=<id>)` (token lines), `User <id> exceeded`, `for user <id>` (limits).
      alts.push(`user=${id.userId}(?:,|$)`, `\\(id=${id.userId}\\)`, `[Uu]ser ${id.userId}\\b`);
    }
    if (id.username) alts.push(`user=${escapeRe(id.username)}(?: \\(|,|$)`);
    this.userRe = alts.length ? new RegExp(alts.join('|')) : undefined;
    this.prefixes = new Set(id.tokenPrefixes ?? []);
  }

  /** Whether the line is the bot's own probe traffic. */
  isOwn(line: string): boolean {
    if (PROBE_CONVERSATION.test(line)) return true;
    if (this.userRe?.test(line)) return true;
    const m = /(?:Invalid or expired (?:connection )?token|Unexpected error validating connection token): (\S{8})\.\.\./.exec(line);
    return m !== null && this.prefixes.has(m[1] as string);
  }

  /**
   * Marker ids of the lines just before this own line that belong to the same probe request: a probe path line
   * after token refusals takes the refusals with it; `Unauthenticated … probe-…` takes the anonymous connect attempt.
   */
  retracts(ids: readonly MarkerId[]): MarkerId[] {
    if (ids.includes('authInvalidToken')) return ['tokenInvalid', 'connTokenInvalid', 'unexpectedValidating'];
    if (ids.includes('unauthenticated') || ids.includes('originRejected')) return ['connectAttempt'];
    return [];
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
