/**
 * Check 6 — authenticated chat handshake with the token from check 4 (§2.3, §3.1, §12):
 * `/ws/chat/probe-<ts>/?connection_token=<t>` → 101 + `{"event":"connected"}`, then ping → pong, close 1000.
 * Then the single-use guarantee: the same token again must be refused (HTTP 403) and its key must be gone.
 *
 * Every rejection before accept is an HTTP 403 at the handshake (never a 4001/4003 close code) and an
 * exception before accept (e.g. `group_add` on a dead channel layer) an HTTP 500 (§12). The URL carries the
 * token: only its redacted form may appear anywhere.
 */
import { requestConnectionToken } from '../targets/connection-token';
import { describeClose, openWebSocket, frameJson, type ProbeSocket, type WsOpenResult } from '../targets/websocket';
import {
  counterChanges,
  evidenceOf,
  explain403,
  explain500,
  handshakeStatus,
  limitHit,
  MAX_CONNECTIONS_PER_USER,
  readProbeCounters,
  recentWebLog,
  type ProbeCounters,
  type TriageInput,
} from './handshake-triage';
import { is3xx, redactUrl, redisCall } from './probe-helpers';
import { tokenKey } from './token-storage';
import type { Check, CheckContext, CheckOutcome, Evidence } from './types';

export const chatHandshake: Check = {
  name: 'chat-handshake',
  title: 'Authenticated chat handshake (single-use token)',
  ref: 'target-system §2.3, §3.1, §12, check 6',
  // token-storage must look at the key before this check consumes it.
  after: ['token-issuance', 'token-storage'],
  async run(ctx): Promise<CheckOutcome> {
    const issued = await ctx.resultOf('token-issuance');
    const storage = await ctx.resultOf('token-storage');
    const token = issued?.artifacts.token;
    if (typeof token !== 'string') {
      return { status: 'unknown', summary: `no connection token to test with (token-issuance: ${issued?.finding.status ?? 'not run'})` };
    }
    const b = ctx.env.backend;
    const timeoutMs = b.timeoutMs;
    const path = `${b.paths.wsChat}probe-${Math.floor(Date.now() / 1000)}/`;
    const url = `${ctx.targets.wsUrl}${path}?connection_token=${encodeURIComponent(token)}`;
    const shown = redactUrl(url);
    const opts = { timeoutMs, signal: ctx.signal, ...(b.origin ? { origin: b.origin } : {}) };

    const uid = typeof issued?.artifacts.probeUserId === 'number' ? issued.artifacts.probeUserId : undefined;
    const before = await readProbeCounters(ctx, uid);
    const handshakeAt = Date.now();
    const first = await openWebSocket(url, opts);
    if (first.kind !== 'open') {
      const seen = storage?.artifacts.stored === true ? true : storage?.finding.signals?.includes('token-not-stored') ? false : null;
      const expiresAt = typeof storage?.artifacts.expiresAt === 'number' ? storage.artifacts.expiresAt : null;
      const out = await rejected(ctx, first, shown, token, { uid, before, seen, expiresAt, handshakeAt, path });
      // Say what the probe changed: a rejected handshake decrements the user's counter (§13).
      const changed = counterChanges(uid, before, await readProbeCounters(ctx, uid));
      if (changed.length) {
        out.evidence = { ...out.evidence, probeChanged: changed.join('; ') };
        out.summary += ` — the probe changed ${changed.join(', ')}`;
      }
      return out;
    }

    const session = await converse(first.socket, timeoutMs, ctx.signal);
    const evidence: Evidence = { openMs: first.openMs, connectedMs: session.connectedMs, pongMs: session.pongMs, closeCode: session.closeCode };
    if (session.failure) return { status: 'fail', summary: `${shown}: ${session.failure.text}`, evidence, signals: [session.failure.signal] };

    // Single use: the same token must now be refused at the handshake.
    const again = await openWebSocket(url, opts);
    if (again.kind === 'open') {
      await again.socket.close(1000, 500, ctx.signal);
      return {
        status: 'fail',
        summary: `${shown}: a used connection token was accepted a second time (single-use broken)`,
        evidence: { ...evidence, reuseStatus: 101 },
        signals: ['token-reuse-allowed'],
      };
    }
    evidence.reuseStatus = again.kind === 'http' ? again.status : again.kind;
    const stored = await keyExists(ctx, token);
    evidence.keyGone = stored === null ? null : !stored;
    if (stored === true) {
      return { status: 'fail', summary: `${shown}: token key still in the cache after use (not consumed)`, evidence, signals: ['token-not-consumed'] };
    }
    if (again.kind !== 'http' || again.status !== 403) {
      return {
        status: 'warn',
        summary: `${shown}: reuse answered ${evidence.reuseStatus}, expected HTTP 403 — single-use not confirmed`,
        evidence,
        signals: ['reuse-check-inconclusive'],
      };
    }
    const connectedMs = session.connectedMs ?? 0;
    if (connectedMs > ctx.env.checks.thresholds.handshakeWarnMs) {
      return { status: 'warn', summary: `${shown}: connected, but slowly (${connectedMs} ms)`, evidence, signals: ['slow-handshake'] };
    }
    return { status: 'ok', summary: `connected in ${connectedMs} ms, ping → pong, token refused on reuse`, evidence };
  },
};

interface Conversation {
  connectedMs: number | null;
  pongMs: number | null;
  closeCode: number | null;
  failure?: { text: string; signal: string };
}

/** connected → ping → pong → close 1000, each step bounded. */
async function converse(sock: ProbeSocket, timeoutMs: number, signal: AbortSignal): Promise<Conversation> {
  const c: Conversation = { connectedMs: null, pongMs: null, closeCode: null };
  const hello = await sock.next(timeoutMs, signal);
  if (hello.kind !== 'message' || frameJson(hello.data)?.event !== 'connected') {
    sock.terminate();
    if (hello.kind === 'timeout') c.failure = { text: `upgraded but no "connected" frame within ${timeoutMs} ms`, signal: 'handshake-timeout' };
    else if (hello.kind === 'close') c.failure = { text: `upgraded, then ended with ${describeClose(hello)} before "connected"`, signal: 'handshake-closed' };
    else c.failure = { text: 'upgraded, but the first frame is not {"event":"connected"}', signal: 'handshake-unexpected-frame' };
    return c;
  }
  c.connectedMs = hello.atMs;
  sock.send(JSON.stringify({ type: 'ping' }));
  for (;;) {
    const f = await sock.next(timeoutMs, signal);
    if (f.kind === 'message' && frameJson(f.data)?.event === 'pong') {
      c.pongMs = f.atMs - hello.atMs;
      break;
    }
    if (f.kind !== 'message') {
      sock.terminate();
      c.failure = { text: f.kind === 'close' ? `ended with ${describeClose(f)} instead of answering ping` : `no pong within ${timeoutMs} ms (F5)`, signal: 'no-pong' };
      return c;
    }
  }
  c.closeCode = (await sock.close(1000, timeoutMs, signal))?.code ?? null;
  return c;
}

interface RejectContext {
  uid: number | undefined;
  before: ProbeCounters;
  seen: boolean | null;
  expiresAt: number | null;
  handshakeAt: number;
  path: string;
}

/** The first handshake did not upgrade: say why, with the evidence of handshake-triage.ts. */
async function rejected(
  ctx: CheckContext,
  r: Exclude<WsOpenResult, { kind: 'open' }>,
  shown: string,
  token: string,
  rc: RejectContext,
): Promise<CheckOutcome & { evidence: Evidence; summary: string }> {
  if (r.kind === 'timeout') {
    return { status: 'fail', summary: `${shown}: no handshake answer within ${r.openMs} ms`, evidence: { error: 'timeout', openMs: r.openMs }, signals: ['handshake-timeout'] };
  }
  if (r.kind === 'error') {
    return { status: 'fail', summary: `${shown}: cannot connect (${r.message})`, evidence: { error: r.error, openMs: r.openMs }, signals: ['backend-down'] };
  }
  const evidence: Evidence = { status: r.status, openMs: r.openMs };
  const b = ctx.env.backend;
  if (r.status === 403) {
    const stillStored = await keyExists(ctx, token);
    const after = await countersAfterRefusal(ctx, rc.uid, rc.before);
    let withoutOrigin: TriageInput['withoutOrigin'];
    // The retry costs a token and a handshake: only when no limit already explains the refusal.
    if (b.origin && !limitHit({ before: rc.before, after, originSent: true })) {
      // Differential probe: the same handshake without Origin (the consumer lets a missing Origin pass).
      const fresh = await freshToken(ctx);
      if (fresh) withoutOrigin = await handshakeStatus(ctx, `${ctx.targets.wsUrl}${rc.path}?connection_token=${encodeURIComponent(fresh)}`);
    }
    const logLines = await recentWebLog(ctx, rc.handshakeAt - 1000);
    const t: TriageInput = {
      uid: rc.uid,
      before: rc.before,
      originSent: b.origin !== undefined,
      seenStored: rc.seen,
      expiresAt: rc.expiresAt,
      handshakeAt: rc.handshakeAt,
      stillStored,
      after,
      logLines: logLines && logLines.filter((l) => !isOtherConversation(l, rc.path)),
      ...(withoutOrigin !== undefined ? { withoutOrigin } : {}),
    };
    const why = explain403(t);
    return {
      status: 'fail',
      summary: `${shown}: handshake refused with HTTP 403 — ${why.why}`,
      evidence: { ...evidence, ...evidenceOf(t, why) },
      signals: ['handshake-403', `handshake-403-${why.kind}`],
    };
  }
  if (r.status === 500) {
    // Differential probe: the chat path without a token. 403 = the route exists (anonymous refused), 500 = no route.
    const routeProbe = await handshakeStatus(ctx, `${ctx.targets.wsUrl}${rc.path}`);
    const logLines = await recentWebLog(ctx, rc.handshakeAt - 1000);
    const e = explain500(routeProbe, logLines);
    return {
      status: 'fail',
      summary: `${shown}: HTTP 500 at the handshake (an exception before accept) — ${e.why}`,
      evidence: { ...evidence, routeProbe: String(routeProbe), error: e.kind, logLinesRead: logLines === null ? null : logLines.length },
      signals: ['handshake-500', `handshake-500-${e.kind}`],
    };
  }
  if (is3xx(r.status)) {
    evidence.location = r.location?.split('?')[0] ?? null;
    return { status: 'fail', summary: `${shown}: upgrade redirected (${r.status}) by a proxy`, evidence, signals: ['ssl-redirect'] };
  }
  return { status: 'fail', summary: `${shown}: handshake answered HTTP ${r.status}`, evidence, signals: ['routing-error'] };
}

/**
 * The counters once the server has run `disconnect` for the refused handshake (it runs just after the 403 is
 * sent): when the concurrency counter was at the limit, wait up to ~400 ms for the decrement that proves it.
 */
async function countersAfterRefusal(ctx: CheckContext, uid: number | undefined, before: ProbeCounters): Promise<ProbeCounters> {
  let after = await readProbeCounters(ctx, uid);
  const atLimit = before.open !== null && before.open >= MAX_CONNECTIONS_PER_USER;
  for (let i = 0; atLimit && after.open === before.open && i < 8 && !ctx.signal.aborted; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await readProbeCounters(ctx, uid);
  }
  return after;
}

/** A log line about another chat conversation than the probe's (kept out of the triage). */
function isOtherConversation(line: string, probePath: string): boolean {
  const m = /\/ws\/chat\/([^/\s?]+)\/|for conversation (\S+)|conversation=([^,\s]+)/.exec(line);
  if (!m) return false;
  const conv = m[1] ?? m[2] ?? m[3];
  return conv !== undefined && !probePath.includes(`/${conv}/`);
}

/** A second connection token for a differential probe (the cached login is reused). */
async function freshToken(ctx: CheckContext): Promise<string | undefined> {
  const r = await requestConnectionToken(ctx.targets.session, ctx.targets.http, ctx.env.backend.paths.wsToken, ctx.signal);
  return r.kind === 'ok' ? r.token : undefined;
}

/** Whether the token key is in the cache DB; `null` when Redis cannot be asked. */
async function keyExists(ctx: CheckContext, token: string): Promise<boolean | null> {
  const { dbs, cacheKeyPrefix, commandTimeoutMs } = ctx.env.redis;
  try {
    return (await redisCall(ctx.targets.redis(dbs.cache).exists(tokenKey(cacheKeyPrefix, token)), ctx.signal, commandTimeoutMs)) === 1;
  } catch {
    return null;
  }
}
