/**
 * `backend-logs` — what the web service's log says about WebSockets over the last `docker.logWindowSeconds`
 * (target-system §5, checks 7, 13, 14; guide "Check Backend Logs"). Streams the window through the engine,
 * counts the success and failure markers, and turns their ratios into signals:
 * tokens generated ≫ handshakes → `ssl-redirect-suspected`; `Unexpected error validating` → `redis-down`;
 * rejected handshakes → `origin-rejections` / `token-expiry-or-db-mismatch`; repeated start lines →
 * `asgi-reload-loop`. A few matching lines come back as evidence, redacted.
 */
import { analyzeCounts } from '../logs/analyze';
import { OwnTraffic } from '../logs/own-traffic';
import { scanContainerLogs } from '../logs/scan';
import { formatSeconds } from '../logs/since';
import { servicesOf, sortForService } from '../targets/docker';
import { dockerCheck, engineFailure, snapshotFor } from './containers-common';
import type { Check, CheckOutcome, Evidence } from './types';

const NAME = 'backend-logs';

export const backendLogs: Check = dockerCheck({
  name: NAME,
  title: 'Backend log markers',
  ref: 'target-system §5, checks 7, 13, 14',
  after: ['containers'],
  async run(ctx, target, budget): Promise<CheckOutcome> {
    const cfg = ctx.env.docker;
    const th = ctx.env.checks.thresholds;
    let scan;
    let containerName: string;
    try {
      const snap = await snapshotFor(ctx, target, budget);
      const c = sortForService(servicesOf(snap, cfg.logService))[0];
      if (!c) {
        return {
          status: 'unknown',
          summary: `no container of service "${cfg.logService}" to read logs from (project "${snap.project}")`,
          evidence: { service: cfg.logService, project: snap.project },
        };
      }
      containerName = c.name;
      // Let this run's probes log in first (bounded): their identity tells the bot's own lines from the stack's.
      // Not an `after` dependency: `check backend-logs` alone must not run the whole probe chain.
      await Promise.race([ctx.resultOf('chat-handshake'), new Promise((r) => setTimeout(r, Math.min(1000, budget.remaining() / 3)).unref())]);
      const session = ctx.targets.session;
      scan = await scanContainerLogs(target, c, {
        own: new OwnTraffic({ ...session.identity, tokenPrefixes: session.tokenPrefixes }),
        sinceSeconds: cfg.logWindowSeconds,
        tail: cfg.logTailLines,
        evidenceLines: cfg.logEvidenceLines,
        signal: ctx.signal,
        timeoutMs: budget.remaining(),
      });
    } catch (err) {
      return engineFailure(err, target, 'log read');
    }
    const v = analyzeCounts(scan.counts, {
      rejectRatioWarn: th.rejectRatioWarn,
      tokenConsumeRatioWarn: th.tokenConsumeRatioWarn,
      minEvents: cfg.logMinEvents,
      reloadLoopStarts: cfg.reloadLoopStarts,
    });
    const m = v.metrics;
    const window = formatSeconds(cfg.logWindowSeconds);
    const evidence: Evidence = {
      container: containerName,
      window,
      lines: scan.lines,
      bytes: scan.bytes,
      truncated: scan.truncated,
      duplicatesDropped: scan.duplicates,
      ownProbeLines: scan.ownLines,
      tokensGenerated: m.tokensGenerated,
      tokensConsumed: m.tokensConsumed,
      tokensReachedDjango: m.tokensReachedDjango,
      reachRatio: m.reachRatio,
      tokensInvalid: m.tokensInvalid,
      handshakes: m.handshakes,
      handshakesRejected: m.handshakesRejected,
      rejectRatio: m.rejectRatio,
      handshakeSource: m.handshakeSource,
      originRejected: m.originRejected,
      unauthenticated: scan.counts.unauthenticated,
      redisErrors: m.redisErrors,
      asgiStarts: m.asgiStarts,
      securityLimits: scan.counts.securityExceeded,
      exceptions: scan.counts.exceptionInApp,
      tracebacks: scan.counts.traceback,
    };
    scan.evidence.forEach((line, i) => (evidence[`line${i + 1}`] = line));
    if (scan.lastStartLine) evidence.lastStartLine = scan.lastStartLine;

    // Say whether the scan saw the whole window: with a tail limit hit, older lines of the window were not read.
    const coverage = scan.truncated ? ` (only the last ${cfg.logTailLines} lines: the window reaches further back)` : '';
    const summary =
      v.problems.length > 0
        ? `${containerName}, last ${window}${coverage}: ${v.problems.join('; ')}`
        : scan.lines === 0
          ? `${containerName}: no log lines in the last ${window}`
          : `${containerName}, last ${window}${coverage}: ${m.tokensGenerated} tokens generated, ${m.tokensConsumed} consumed, ` +
            `${m.handshakes - m.handshakesRejected}/${m.handshakes} handshakes accepted${m.asgiStarts ? `, ${m.asgiStarts} server start(s)` : ''}` +
            `${scan.ownLines ? ` (${scan.ownLines} lines of the bot's own probes not counted)` : ''}`;
    return { status: v.status, summary, evidence, signals: v.signals };
  },
});
