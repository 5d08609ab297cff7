/**
 * `containers` — are the compose services of the stack up? (target-system check 12, §7; guide "Check Service
 * Health"). Containers are found by compose labels, or by their v1/v2 names when unlabelled. For each
 * expected service: present, running, health status, uptime since last start, exit code when dead.
 * A problem on a critical service (docker.criticalServices) fails the check; on the others it warns.
 */
import type { ContainerView } from '../targets/docker';
import { ago, dockerCheck, DOWN_SIGNAL, engineFailure, secondsSince, SNAPSHOT_ARTIFACT } from './containers-common';
import type { Check, CheckOutcome, Evidence } from './types';

const NAME = 'containers';

type Verdict = 'ok' | 'degraded' | 'down';

interface ServiceState {
  service: string;
  verdict: Verdict;
  what: string;
}

function judge(service: string, list: ContainerView[], now: number): ServiceState {
  if (list.length === 0) return { service, verdict: 'down', what: 'no container' };
  const running = list.filter((c) => c.running);
  if (running.length === 0) {
    // Report the most recently finished one.
    const c = [...list].sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))[0] as ContainerView;
    const exit = c.state === 'exited' || c.state === 'dead' ? ` (exit code ${c.exitCode}${c.oomKilled ? ', OOM-killed' : ''})` : '';
    const when = c.finishedAt ? `, stopped ${ago(secondsSince(c.finishedAt, now))}` : '';
    const err = c.error ? `: ${c.error}` : '';
    return { service, verdict: 'down', what: `${c.state}${exit}${when}${err}` };
  }
  const unhealthy = running.filter((c) => c.health === 'unhealthy');
  if (unhealthy.length === running.length) {
    const c = unhealthy[0] as ContainerView;
    const out = c.healthOutput ? ` (last probe: ${c.healthOutput})` : '';
    return { service, verdict: 'down', what: `unhealthy, ${c.healthFailingStreak} failing probes${out}` };
  }
  if (unhealthy.length > 0) return { service, verdict: 'degraded', what: `${unhealthy.length} of ${running.length} containers unhealthy` };
  if (running.some((c) => c.health === 'starting')) return { service, verdict: 'degraded', what: 'health check still starting' };
  return { service, verdict: 'ok', what: running.length > 1 ? `${running.length} running` : 'running' };
}

export const containers: Check = dockerCheck({
  name: NAME,
  title: 'Compose services',
  ref: 'target-system §7, check 12; guide "Check Service Health"',
  async run(ctx, target, budget): Promise<CheckOutcome> {
    const cfg = ctx.env.docker;
    let snap;
    try {
      snap = await target.snapshot({ signal: ctx.signal, timeoutMs: budget.remaining() });
    } catch (err) {
      return engineFailure(err, target, 'container list');
    }
    const now = snap.takenAt.getTime();
    const critical = new Set(cfg.criticalServices);
    const states = cfg.expectedServices.map((svc) => judge(svc, snap.containers.filter((c) => c.service === svc), now));

    const evidence: Evidence = {
      project: snap.project,
      containers: snap.containers.length,
      labelled: snap.containers.filter((c) => c.identifiedBy === 'label').length,
      byName: snap.containers.filter((c) => c.identifiedBy === 'name').length,
      namingV1: snap.containers.filter((c) => c.naming === 'v1').length,
      namingV2: snap.containers.filter((c) => c.naming === 'v2').length,
    };
    for (const svc of cfg.expectedServices) {
      const list = snap.containers.filter((c) => c.service === svc);
      const c = list.find((x) => x.running) ?? list[0];
      if (!c) {
        evidence[`${svc}.state`] = 'missing';
        continue;
      }
      evidence[`${svc}.container`] = c.name;
      evidence[`${svc}.state`] = c.state;
      evidence[`${svc}.health`] = c.health;
      evidence[`${svc}.restarts`] = c.restartCount;
      if (c.running) evidence[`${svc}.uptimeSeconds`] = secondsSince(c.startedAt, now);
      else evidence[`${svc}.exitCode`] = c.exitCode;
      if (list.length > 1) evidence[`${svc}.count`] = list.length;
    }
    const extra = [...new Set(snap.containers.map((c) => c.service))].filter((s) => !cfg.expectedServices.includes(s));
    if (extra.length) evidence.otherServices = extra.sort().join(',');

    const down = states.filter((s) => s.verdict === 'down');
    const degraded = states.filter((s) => s.verdict === 'degraded');
    const failing = down.filter((s) => critical.has(s.service));
    const signals = [...new Set(down.map((s) => DOWN_SIGNAL[s.service]).filter((x): x is string => x !== undefined))];
    const problems = [...down, ...degraded].map((s) => `${s.service}: ${s.what}`);
    const okCount = states.filter((s) => s.verdict === 'ok').length;

    if (snap.containers.length === 0) {
      return {
        status: 'fail',
        summary: `no container of compose project "${snap.project}" found (labels or names); is the stack up, and is docker.project right?`,
        evidence,
        signals,
        artifacts: { [SNAPSHOT_ARTIFACT]: snap },
      };
    }
    const status = failing.length > 0 ? 'fail' : problems.length > 0 ? 'warn' : 'ok';
    const summary =
      problems.length === 0
        ? `${okCount}/${states.length} services running${states.length ? '' : ' (no expected services configured)'}`
        : `${okCount}/${states.length} services ok — ${problems.join('; ')}`;
    return { status, summary, evidence, signals, artifacts: { [SNAPSHOT_ARTIFACT]: snap } };
  },
});
