/**
 * `frontend-conflict` — guide Issue 2: the compose `frontend` container and a local Vite dev server competing
 * for `docker.frontendPort` (intermittent 500s, "port already in use"). Finds which process holds the port
 * (procfs: LISTEN socket → pid → command line, container id from its cgroup) and compares with the frontend
 * container's state:
 *
 * - container running, port held by a local (non-container) process → conflict;
 * - port held by the container (or its port proxy) while a local Vite-like process also runs → conflict;
 * - container failed to start because the port was taken → conflict.
 */
import { findProcesses, PORT_PROXIES, whoListens, type PortProbe, type ProcessInfo } from '../targets/docker-hostports';
import { servicesOf, type ContainerView, type ProjectSnapshot } from '../targets/docker';
import { dockerCheck, engineFailure, snapshotFor } from './containers-common';
import type { Check, CheckOutcome, Evidence } from './types';

const NAME = 'frontend-conflict';

type Holder = 'frontend-container' | 'other-container' | 'local' | 'unknown' | 'none';

interface Attribution {
  holder: Holder;
  proc?: ProcessInfo;
  container?: ContainerView;
}

function describeProc(p: ProcessInfo): string {
  return `${p.comm || 'process'} (pid ${p.pid}: ${p.command.slice(0, 80)})`;
}

/** Which side holds the port. */
export function attribute(probe: PortProbe, snap: ProjectSnapshot | undefined, frontends: ContainerView[]): Attribution {
  if (!probe.listening) return { holder: 'none' };
  if (probe.holders.length === 0) {
    // Owner not visible: a running frontend that publishes the port is the best guess.
    const pub = frontends.find((c) => c.running && c.ports.some((p) => p.hostPort === probe.port));
    return pub ? { holder: 'frontend-container', container: pub } : { holder: 'unknown' };
  }
  const all = snap?.containers ?? [];
  for (const proc of probe.holders) {
    if (proc.containerId) {
      const fe = frontends.find((c) => c.id === proc.containerId);
      if (fe) return { holder: 'frontend-container', proc, container: fe };
      const other = all.find((c) => c.id === proc.containerId);
      return { holder: 'other-container', proc, ...(other ? { container: other } : {}) };
    }
    if (frontends.some((c) => c.pid > 0 && c.pid === proc.pid)) {
      return { holder: 'frontend-container', proc, container: frontends.find((c) => c.pid === proc.pid) as ContainerView };
    }
    if (PORT_PROXIES.has(proc.comm)) {
      // A port proxy (docker-proxy, rootlessport, conmon…): the container that publishes the port owns it.
      const pub = all.find((c) => c.running && c.ports.some((p) => p.hostPort === probe.port));
      if (pub) return { holder: pub.service === frontends[0]?.service ? 'frontend-container' : 'other-container', proc, container: pub };
    }
  }
  return { holder: 'local', proc: probe.holders[0] as ProcessInfo };
}

const PORT_TAKEN = /address already in use|port is already allocated|bind.*in use/i;

export const frontendConflict: Check = dockerCheck({
  name: NAME,
  title: 'Front-end port conflict',
  ref: 'guide Issue 2; target-system §7',
  after: ['containers'],
  async run(ctx, target, budget): Promise<CheckOutcome> {
    const cfg = ctx.env.docker;
    const port = cfg.frontendPort;
    let pattern: RegExp;
    try {
      pattern = new RegExp(cfg.frontendProcessPattern, 'i');
    } catch {
      pattern = /^vite(\.js)?$/i;
    }
    // The host side needs no engine: start it right away.
    const probeP = whoListens(port, { budgetMs: Math.min(1500, budget.remaining()) }).catch(
      (err: unknown): PortProbe => ({ port, listening: false, method: 'procfs', holders: [], note: `port probe failed: ${String(err).slice(0, 80)}` }),
    );
    const devP = findProcesses(pattern).catch(() => [] as ProcessInfo[]);
    let snap: ProjectSnapshot;
    try {
      snap = await snapshotFor(ctx, target, budget);
    } catch (err) {
      const out = engineFailure(err, target, 'container list');
      const probe = await probeP;
      return {
        ...out,
        evidence: { ...out.evidence, port, portListening: probe.listening, portHolder: probe.holders[0] ? describeProc(probe.holders[0]) : null },
      };
    }
    const [probe, devAll] = await Promise.all([probeP, devP]);
    const frontends = servicesOf(snap, cfg.frontendService);
    const running = frontends.filter((c) => c.running);
    const fe = running[0] ?? frontends[0];
    const a = attribute(probe, snap, frontends);
    const localDev = devAll.filter((p) => !p.containerId && !PORT_PROXIES.has(p.comm));

    const evidence: Evidence = {
      port,
      portListening: probe.listening,
      holder: a.holder,
      detection: probe.method,
      frontendContainer: fe?.name ?? null,
      frontendState: fe ? fe.state : 'missing',
      localDevServers: localDev.length,
    };
    if (a.proc) {
      evidence.holderPid = a.proc.pid;
      evidence.holderCommand = a.proc.command.slice(0, 120);
    }
    if (a.container) evidence.holderContainer = a.container.name;
    if (probe.note) evidence.note = probe.note;
    if (localDev[0]) evidence.localDevServer = describeProc(localDev[0]);

    const severity = cfg.criticalServices.includes(cfg.frontendService) ? 'fail' : 'warn';
    const conflict = (summary: string): CheckOutcome => ({ status: severity, summary, evidence, signals: ['frontend-port-conflict'] });

    if (running.length > 0 && a.holder === 'local' && a.proc) {
      return conflict(
        `frontend container ${running[0]?.name} is running but port ${port} is held by a local process, ${describeProc(a.proc)}: ` +
          'stop one of them (`docker compose stop frontend`, or stop the local Vite)',
      );
    }
    if (running.length > 0 && a.holder === 'other-container' && a.container) {
      return conflict(`frontend container ${running[0]?.name} is running but port ${port} is held by container ${a.container.name}`);
    }
    if (a.holder === 'frontend-container' && localDev.length > 0) {
      const dev = localDev[0] as ProcessInfo;
      return conflict(
        `port ${port} is held by the frontend container ${a.container?.name ?? fe?.name} while a local dev server also runs, ${describeProc(dev)}: ` +
          'the browser talks to the container, not your local code; stop one of them',
      );
    }
    const failedBind = frontends.find((c) => !c.running && c.error && PORT_TAKEN.test(c.error));
    if (failedBind) {
      const who = a.proc ? `; it is held by ${describeProc(a.proc)}` : '';
      return conflict(`frontend container ${failedBind.name} could not start: port ${port} was already taken${who}`);
    }

    let summary: string;
    if (a.holder === 'none') summary = `nothing listens on port ${port}${fe ? ` (frontend container ${fe.state})` : ' and there is no frontend container'}`;
    else if (a.holder === 'frontend-container') summary = `port ${port} is served by the frontend container ${a.container?.name ?? ''}`.trim();
    else if (a.holder === 'local' && a.proc) summary = `port ${port} is served by a local process, ${describeProc(a.proc)}; no frontend container runs`;
    else if (a.holder === 'other-container') summary = `port ${port} is held by container ${a.container?.name ?? a.proc?.containerId?.slice(0, 12) ?? '?'}; no frontend container runs`;
    else summary = `port ${port} is in use (owner not visible: ${probe.note ?? 'unknown'})${fe ? `; frontend container ${fe.state}` : ''}`;
    return { status: 'ok', summary, evidence };
  },
});
