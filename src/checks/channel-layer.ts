/**
 * The channel-layer round trip (target-system §3.1, §4; guide Issue 3 "Live but empty chat"): open a probe
 * chat socket of its own, publish to that socket's chat group through the channel layer exactly as the Celery
 * worker does (`group_send("chat_<conversation_id>", {"type": "chat.message", …})`, channels_redis' wire format
 * in the channel-layer DB), and see the frame arrive on the socket within a bound. It proves Celery → Redis →
 * ASGI server → socket without an LLM call, and when chunks never arrive it says which link broke:
 *
 * - the socket's channel is not in `asgi:group:chat_<id>` → group membership (another Redis/DB/prefix for the
 *   server's channel layer, or the group key evicted);
 * - the publish fails → the channel-layer Redis refuses writes (OOM under noeviction, read-only replica);
 * - the message stays in the server's inbox → the server does not read the channel layer we wrote to;
 * - the server took it but no frame came → its consumer does not forward `chat.message` events;
 * - the frame came → the server side works: the front end (bundle WS URL, its handler) or Celery itself.
 *
 * The probe's side effects are stated: one connection token, one socket on a `probe-rt-…` conversation (the
 * connection counters go +1 then −1), one message (withdrawn if the server never took it).
 */
import { randomBytes } from 'node:crypto';
import { ChannelLayer, type GroupSendResult } from '../targets/channel-layer';
import { requestConnectionToken } from '../targets/connection-token';
import { redisFailureCause } from '../targets/redis';
import { frameJson, openWebSocket, type ProbeSocket } from '../targets/websocket';
import { errText, redisCall } from './probe-helpers';
import type { Check, CheckContext, CheckOutcome, Evidence } from './types';

/** The event name of the probe's frame: the consumer forwards any `chat.message` dict, the front end ignores it. */
export const ROUND_TRIP_EVENT = 'ws_doctor_round_trip';

export const channelLayer: Check = {
  name: 'channel-layer',
  title: 'Channel-layer round trip (group_send → probe socket)',
  ref: 'target-system §3.1, §4, check 10; guide Issue 3',
  // Its login is the one token-issuance made (cached); without it there is nothing to open a socket with. It
  // waits for chat-handshake too: that check's refused reuse handshake decrements the probe user's connection
  // counter, which would under-count this socket's if the two overlapped (§12).
  after: ['token-issuance', 'chat-handshake'],
  async run(ctx): Promise<CheckOutcome> {
    const issued = await ctx.resultOf('token-issuance');
    await ctx.resultOf('chat-handshake');
    if (issued?.finding.status === 'fail' || issued?.finding.status === 'unknown' || !issued) {
      return { status: 'unknown', summary: `no probe login to open a socket with (token-issuance: ${issued?.finding.status ?? 'not run'})` };
    }
    const b = ctx.env.backend;
    const { dbs, channelLayerPrefix, commandTimeoutMs, url: redisUrl } = ctx.env.redis;
    const minted = await requestConnectionToken(ctx.targets.session, ctx.targets.http, b.paths.wsToken, ctx.signal);
    if (minted.kind !== 'ok') {
      const why = minted.kind === 'http' ? `HTTP ${minted.status}` : minted.kind === 'login' ? `login ${minted.login.kind}` : minted.message;
      return { status: 'unknown', summary: `could not get a connection token of its own (${errText(why)}); see token-issuance` };
    }

    const conversation = `probe-rt-${Math.floor(Date.now() / 1000)}-${randomBytes(3).toString('hex')}`;
    const group = `chat_${conversation}`;
    const url = `${ctx.targets.wsUrl}${b.paths.wsChat}${conversation}/?connection_token=${encodeURIComponent(minted.token)}`;
    const opened = await openWebSocket(url, { timeoutMs: b.timeoutMs, signal: ctx.signal, ...(b.origin ? { origin: b.origin } : {}) });
    const changed = 'one connection token, one probe socket (counters +1/−1)';
    if (opened.kind !== 'open') {
      // chat-handshake owns handshake failures; this check cannot run without a socket.
      const how = opened.kind === 'http' ? `HTTP ${opened.status}` : opened.kind;
      return { status: 'unknown', summary: `probe socket not opened (${how}); see chat-handshake`, evidence: { handshake: how, probeChanged: 'one connection token' } };
    }
    const sock = opened.socket;
    try {
      const hello = await sock.next(b.timeoutMs, ctx.signal);
      if (hello.kind !== 'message' || frameJson(hello.data)?.event !== 'connected') {
        return { status: 'unknown', summary: 'probe socket upgraded but sent no "connected" frame; see chat-handshake', evidence: { probeChanged: changed } };
      }
      const layer = new ChannelLayer(ctx.targets.redis(dbs.channelLayer), { prefix: channelLayerPrefix });
      return await roundTrip(ctx, sock, layer, group, conversation, changed, redisUrl, commandTimeoutMs);
    } finally {
      await sock.close(1000, 1000).catch(() => undefined);
    }
  },
};

async function roundTrip(
  ctx: CheckContext,
  sock: ProbeSocket,
  layer: ChannelLayer,
  group: string,
  conversation: string,
  changed: string,
  redisUrl: string,
  commandTimeoutMs: number,
): Promise<CheckOutcome> {
  const db = ctx.env.redis.dbs.channelLayer;
  const groupKey = layer.groupKey(group);
  const base: Evidence = { db, group: groupKey };
  const redisFailure = (err: unknown, step: string): CheckOutcome => {
    const cause = errText(redisFailureCause(redisUrl, err));
    const oom = /OOM/i.test(cause);
    const timeout = /no Redis answer|timed? ?out/i.test(cause);
    return {
      status: 'fail',
      summary: oom
        ? `channel-layer Redis refuses writes (${cause}): group_send to ${group} failed — maxmemory reached under noeviction`
        : `${step} on the channel-layer Redis (DB ${db}) failed: ${cause}`,
      evidence: { ...base, step, error: cause.slice(0, 60), probeChanged: changed },
      signals: [oom ? 'redis-oom' : timeout ? 'redis-timeout' : 'redis-down', 'channel-layer-error'],
    };
  };

  let members: string[];
  try {
    members = await redisCall(layer.groupMembers(group), ctx.signal, commandTimeoutMs);
  } catch (err) {
    return redisFailure(err, 'reading the group');
  }
  base.members = members.length;
  if (members.length === 0) {
    return {
      status: 'fail',
      summary: `socket connected but ${groupKey} is empty in DB ${db}: the server's channel layer is another Redis/DB/prefix, or the group key was evicted — Celery's group_send reaches nobody`,
      evidence: { ...base, probeChanged: changed },
      signals: ['channel-group-missing'],
    };
  }

  const nonce = randomBytes(8).toString('hex');
  const sentAt = performance.now();
  let sent: GroupSendResult;
  try {
    sent = await redisCall(
      layer.groupSend(group, { type: 'chat.message', event: ROUND_TRIP_EVENT, conversation_id: conversation, nonce }),
      ctx.signal,
      commandTimeoutMs,
    );
  } catch (err) {
    return redisFailure(err, 'group_send');
  }
  const bound = ctx.env.backend.timeoutMs;
  const arrived = await waitForNonce(sock, nonce, bound, ctx.signal);
  const evidence: Evidence = { ...base, inboxes: sent.writes.length, probeChanged: `${changed}, one chat.message` };
  if (arrived !== undefined) {
    const ms = Math.round(arrived - sentAt);
    evidence.roundTripMs = ms;
    const warnMs = ctx.env.checks.thresholds.channelRoundTripWarnMs;
    if (ms > warnMs) {
      return { status: 'warn', summary: `group_send → socket took ${ms} ms (warn > ${warnMs} ms): the server's channel-layer loop is slow`, evidence, signals: ['channel-layer-slow'] };
    }
    return {
      status: 'ok',
      summary: `group_send to ${group} (DB ${db}) reached the probe socket in ${ms} ms: channel layer, group membership and the server's forwarding work`,
      evidence,
    };
  }

  // No frame: did the server take the message off its inbox?
  let queued = 0;
  let withdrawn = 0;
  try {
    for (const w of sent.writes) {
      if (await redisCall(layer.stillQueued(w), ctx.signal, commandTimeoutMs)) {
        queued++;
        if (await redisCall(layer.withdraw(w), ctx.signal, commandTimeoutMs)) withdrawn++;
      }
    }
  } catch (err) {
    return redisFailure(err, 'looking up the sent message');
  }
  evidence.stillQueued = queued;
  evidence.withdrawn = withdrawn;
  if (queued > 0) {
    return {
      status: 'fail',
      summary: `the message to ${group} sat in the server's inbox for ${bound} ms untaken: the server does not read this channel layer (DB ${db}) — its REDIS_URL points elsewhere or its receive loop is dead`,
      evidence,
      signals: ['channel-layer-not-consumed'],
    };
  }
  // Taken off the layer but not delivered: a consumer that does not forward chat.message, or a server that stopped
  // answering altogether after its BZPOPMIN returned (the pop happens inside Redis). A ping on the same socket
  // tells them apart: a live consumer answers it.
  const alive = await answersPing(sock, Math.min(bound, 1500), ctx.signal);
  evidence.pongAfter = alive;
  if (alive === false) {
    return {
      status: 'fail',
      summary: `the server took the message to ${group} off the channel layer, then stopped answering on the socket (no frame, no pong): the ASGI server is hung`,
      evidence,
      signals: ['no-pong'],
    };
  }
  return {
    status: 'fail',
    summary: `the server took the message to ${group} off the channel layer, but no frame reached the socket within ${bound} ms: the consumer does not forward chat.message`,
    evidence,
    signals: ['chat-message-not-forwarded'],
  };
}

/** true = pong, false = open but silent, null = the socket is closed (the consumer died on the message). */
async function answersPing(sock: ProbeSocket, timeoutMs: number, signal: AbortSignal): Promise<boolean | null> {
  sock.send(JSON.stringify({ type: 'ping' }));
  const until = performance.now() + timeoutMs;
  for (;;) {
    const left = until - performance.now();
    if (left <= 0) return false;
    const f = await sock.next(left, signal);
    if (f.kind === 'close') return null;
    if (f.kind === 'timeout') return false;
    if (frameJson(f.data)?.event === 'pong') return true;
  }
}

/** performance.now() when the frame carrying `nonce` arrives, or undefined after `timeoutMs`. */
async function waitForNonce(sock: ProbeSocket, nonce: string, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const left = until - performance.now();
    if (left <= 0) return undefined;
    const f = await sock.next(left, signal);
    if (f.kind !== 'message') return undefined;
    const j = frameJson(f.data);
    if (j?.event === ROUND_TRIP_EVENT && j.nonce === nonce) return performance.now();
  }
}
