/**
 * `container-restarts` — is a container crash-looping? (target-system check 12: RestartCount growth; guide
 * Issue 1 "Backend container restarting"). The DockerTarget remembers each container's RestartCount between
 * runs, so a second run sees growth. Independently of history, a high RestartCount together with a recent
 * start, or the engine's own `restarting` state, is a loop too.
 */
import type { ContainerView } from '../targets/docker';
import { ago, dockerCheck, DOWN_SIGNAL, engineFailure, secondsSince, snapshotFor } from './containers-common';
import type { Check, CheckOutcome, Evidence } from './types';

const NAME = 'container-restarts';

interface Loop {
  c: ContainerView;
  why: string;
}

export const containerRestarts: Check = dockerCheck({
  name: NAME,
  title: 'Container restart loops',
  ref: 'target-system check 12; guide Issue 1',
  after: ['containers'],
  async run(ctx, target, budget): Promise<CheckOutcome> {
    const cfg = ctx.env.docker;
    let snap;
    try {
      snap = await snapshotFor(ctx, target, budget);
    } catch (err) {
      return engineFailure(err, target, 'container list');
    }
    const now = snap.takenAt.getTime();
    const loops: Loop[] = [];
    const evidence: Evidence = { project: snap.project, containers: snap.containers.length };
    let firstSeen = 0;
    for (const c of snap.containers) {
      const obs = target.observeRestartCount(c.id, c.restartCount, snap.takenAt);
      const up = c.running ? secondsSince(c.startedAt, now) : null;
      const key = c.name;
      evidence[`${key}.restarts`] = c.restartCount;
      if (obs.growth !== undefined) {
        evidence[`${key}.growth`] = obs.growth;
        evidence[`${key}.sinceLastRunSeconds`] = secondsSince(obs.previous?.at, now);
      } else firstSeen++;
      const reasons: string[] = [];
      if (obs.growth !== undefined && obs.growth > 0) {
        reasons.push(`restarted ${obs.growth} time(s) since the last run ${ago(secondsSince(obs.previous?.at, now))}`);
      }
      if (c.state === 'restarting') reasons.push('the engine reports it restarting');
      const stoppedFor = c.running ? null : secondsSince(c.finishedAt, now);
      const recent = c.running ? up !== null && up < cfg.recentStartSeconds : stoppedFor !== null && stoppedFor < cfg.recentStartSeconds;
      if (c.restartCount >= cfg.restartCountWarn && recent) {
        const last = c.running ? `last start ${up}s ago` : `now ${c.state} (exit code ${c.exitCode}) since ${ago(stoppedFor)}`;
        reasons.push(`RestartCount ${c.restartCount}, ${last}`);
      }
      if (reasons.length) loops.push({ c, why: reasons.join('; ') });
    }
    evidence.firstObservations = firstSeen;
    target.forgetRestartCountsExcept(snap.containers.map((c) => c.id));

    if (loops.length === 0) {
      const total = snap.containers.reduce((n, c) => n + c.restartCount, 0);
      const note = firstSeen === snap.containers.length && firstSeen > 0 ? ' (first observation: growth is measured from the next run on)' : '';
      return { status: 'ok', summary: `no restart loop among ${snap.containers.length} containers (${total} restarts in total)${note}`, evidence };
    }
    const critical = new Set(cfg.criticalServices);
    const signals = new Set<string>();
    for (const { c } of loops) {
      if (c.service === 'web') signals.add('web-restart-loop');
      else {
        // A crash-looping Redis/Celery/DB is down for its clients most of the time.
        const s = DOWN_SIGNAL[c.service];
        if (s) signals.add(s);
      }
    }
    const status = loops.some(({ c }) => critical.has(c.service)) ? 'fail' : 'warn';
    evidence.looping = loops.map(({ c }) => c.service).join(',');
    return {
      status,
      summary: `restart loop: ${loops.map(({ c, why }) => `${c.service} (${c.name}): ${why}`).join('; ')}`,
      evidence,
      signals: [...signals],
    };
  },
});
