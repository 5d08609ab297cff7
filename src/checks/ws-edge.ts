/**
 * Check 3 — WebSocket edge probe on `/ws/health/`: one frame `{"status":"ok"}` then close 1000 (§3, §12).
 * It proves the path browser → proxy → ASGI → router works. It does *not* prove Redis works: with the
 * channel-layer Redis dead the client still sees a healthy answer (§12). A 3xx on the upgrade is a proxy's
 * redirect (Django does not redirect upgrades, §12) — the SSL-redirect signature when it points at https.
 */
import { describeClose, openWebSocket, frameJson } from '../targets/websocket';
import { is3xx } from './probe-helpers';
import type { Check, CheckOutcome } from './types';

export const wsEdge: Check = {
  name: 'ws-edge',
  title: 'WebSocket edge (/ws/health/)',
  ref: 'target-system §3, §12, check 3',
  async run(ctx): Promise<CheckOutcome> {
    const path = ctx.env.backend.paths.wsHealth;
    const url = ctx.targets.wsUrl + path;
    const timeoutMs = ctx.env.backend.timeoutMs;
    const open = await openWebSocket(url, { timeoutMs, signal: ctx.signal });
    switch (open.kind) {
      case 'timeout':
        return {
          status: 'fail',
          summary: `WS ${path}: no handshake answer within ${open.openMs} ms (proxy or ASGI server down/hung)`,
          evidence: { error: 'timeout', openMs: open.openMs },
          signals: ['asgi-down'],
        };
      case 'error':
        return {
          status: 'fail',
          summary: `WS ${path}: cannot connect (${open.message})`,
          evidence: { error: open.error, openMs: open.openMs },
          signals: ['backend-down'],
        };
      case 'http': {
        const evidence = { status: open.status, openMs: open.openMs, location: open.location?.split('?')[0] ?? null };
        if (is3xx(open.status)) {
          return {
            status: 'fail',
            summary: `WS ${path}: upgrade answered ${open.status} → ${evidence.location ?? '(no Location)'}: a proxy redirects WebSockets (F1/F3)`,
            evidence,
            signals: ['ssl-redirect'],
          };
        }
        return {
          status: 'fail',
          summary: `WS ${path}: upgrade refused with HTTP ${open.status} (routing, proxy or app error)`,
          evidence,
          signals: ['routing-error'],
        };
      }
      case 'open':
        break;
    }
    const sock = open.socket;
    const first = await sock.next(timeoutMs, ctx.signal);
    const frame = first.kind === 'message' ? frameJson(first.data) : undefined;
    if (first.kind !== 'message' || frame?.status !== 'ok') {
      sock.terminate();
      const got = first.kind === 'message' ? 'an unexpected frame' : first.kind === 'close' ? describeClose(first) : 'nothing';
      return {
        status: 'fail',
        summary: `WS ${path}: upgraded but got ${got} instead of {"status":"ok"}`,
        evidence: { openMs: open.openMs, closeCode: first.kind === 'close' ? first.code : null },
        signals: ['ws-health-error'],
      };
    }
    // The server closes with 1000 right after its one frame.
    const end = await sock.next(timeoutMs, ctx.signal);
    const closeCode = end.kind === 'close' ? end.code : null;
    if (closeCode === null) await sock.close(1000, 500, ctx.signal);
    const evidence = { openMs: open.openMs, frameMs: first.atMs, closeCode };
    if (closeCode !== 1000) {
      return { status: 'warn', summary: `WS ${path}: status ok, but the server closed with ${closeCode ?? 'nothing'} instead of 1000`, evidence };
    }
    return { status: 'ok', summary: `WS ${path}: 101, status ok, close 1000 (first frame after ${first.atMs} ms)`, evidence };
  },
};
