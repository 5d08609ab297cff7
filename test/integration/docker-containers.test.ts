/**
 * Container checks and remediation primitives against a real Docker Engine API (podman's compatible service):
 * healthy project in both naming styles, unhealthy, stopped, missing, restart loop, restart + wait-until-healthy,
 * front-end port conflict, and the engine going away (no socket; killed mid-run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecks, withDependencies } from '../../src/checks/runner';
import { allChecks } from '../../src/checks/registry';
import { dockerCheckTimeout } from '../../src/checks/containers-common';
import type { Finding } from '../../src/checks/types';
import { environmentSchema, type EnvConfig } from '../../src/config/schema';
import { restartService, startService, stopService, waitUntilHealthy } from '../../src/remediations/primitives/containers';
import { buildTargets } from '../../src/targets/build';
import { DockerTarget } from '../../src/targets/docker';
import type { Targets } from '../../src/targets/targets';
import { freePort } from '../../src/util/net';
import { startPodman, type PodmanPeer } from '../peers/podman';

/** The checks that read the Docker Engine API. */
const dockerChecks = allChecks.filter((c) => ['containers', 'container-restarts', 'backend-logs', 'frontend-conflict'].includes(c.name));

jest.setTimeout(120000);

let peer: PodmanPeer;
const opened: Targets[] = [];

beforeAll(async () => {
  peer = await startPodman();
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await peer?.cleanup();
});

function envFor(project: string, docker: Record<string, unknown> = {}): EnvConfig {
  return environmentSchema.parse({
    docker: { socketPath: peer.socketPath, project, timeoutMs: 3000, ...docker },
    checks: { deadlineMs: 10000, timeoutMs: 4000 },
  });
}

function targetsFor(env: EnvConfig): Targets {
  const t = buildTargets('test', env);
  opened.push(t);
  return t;
}

async function run(targets: Targets, names: string[]): Promise<Record<string, Finding>> {
  const res = await runChecks({ envName: 'test', env: targets.env, targets, checks: withDependencies(names, dockerChecks) });
  return Object.fromEntries(res.findings.map((f) => [f.check, f]));
}

async function one(targets: Targets, name: string): Promise<Finding> {
  const f = (await run(targets, [name]))[name];
  if (!f) throw new Error(`no finding for ${name}`);
  return f;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FOREVER = 'while true; do sleep 1; done';
const START_LINES = 'echo "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)"; echo "INFO:     Application startup complete."';

describe('healthy project, both naming styles, labels and names', () => {
  const P = 'wsdok';
  beforeAll(async () => {
    await Promise.all([
      peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: `${START_LINES}; ${FOREVER}` }),
      peer.run({ name: `${P}_redis_1`, compose: { project: P, service: 'redis' }, health: { cmd: 'true' }, cmd: FOREVER }),
      // No labels: found by name, Compose v2 and v1 styles.
      peer.run({ name: `${P}-celery-1`, cmd: FOREVER }),
      peer.run({ name: `${P}_celery-beat_1`, cmd: FOREVER }),
      peer.run({ name: `${P}-db-1`, compose: { project: P, service: 'db' }, cmd: FOREVER }),
      peer.run({ name: `${P}_frontend_1`, compose: { project: P, service: 'frontend' }, cmd: FOREVER }),
      // Another project and a one-off run: never counted.
      peer.run({ name: 'otherproj-web-1', compose: { project: 'otherproj', service: 'web' }, cmd: FOREVER }),
      peer.run({ name: `${P}-web-run-1`, compose: { project: P, service: 'web' }, labels: { 'com.docker.compose.oneoff': 'True' }, cmd: FOREVER }),
    ]);
    await peer.healthcheck(`${P}_redis_1`);
  });

  test('containers: ok, every expected service found', async () => {
    const t = targetsFor(envFor(P));
    const f = await one(t, 'containers');
    expect(f.status).toBe('ok');
    expect(f.summary).toMatch(/6\/6 services running/);
    expect(f.evidence).toMatchObject({
      containers: 6,
      labelled: 4,
      byName: 2,
      'web.state': 'running',
      'redis.health': 'healthy',
      'celery.container': `${P}-celery-1`,
      'celery-beat.container': `${P}_celery-beat_1`,
    });
    expect(f.evidence.namingV1).toBe(3);
    expect(f.evidence.namingV2).toBe(3);
    expect(typeof f.evidence['web.uptimeSeconds']).toBe('number');
    expect(f.signals ?? []).toEqual([]);
  });

  test('container-restarts: ok on first and second observation', async () => {
    const t = targetsFor(envFor(P));
    const a = await run(t, ['container-restarts']);
    expect(a['container-restarts']?.status).toBe('ok');
    expect(a['container-restarts']?.summary).toMatch(/first observation/);
    const b = await one(t, 'container-restarts');
    expect(b.status).toBe('ok');
    expect(b.evidence[`${P}-web-1.growth`]).toBe(0);
  });
});

describe('unhealthy, stopped and missing services', () => {
  test('unhealthy health check on a critical service → fail with its signal', async () => {
    const P = 'wsdsick';
    await peer.run({ name: `${P}-redis-1`, compose: { project: P, service: 'redis' }, health: { cmd: 'false', retries: 1 }, cmd: FOREVER });
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: FOREVER });
    await peer.healthcheck(`${P}-redis-1`);
    const t = targetsFor(envFor(P, { expectedServices: ['web', 'redis'] }));
    const f = await one(t, 'containers');
    expect(f.status).toBe('fail');
    expect(f.evidence['redis.health']).toBe('unhealthy');
    expect(f.summary).toMatch(/redis: unhealthy/);
    expect(f.signals).toEqual(['redis-container-down']);
  });

  test('stopped service: state and exit code reported', async () => {
    const P = 'wsdstop';
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: 'echo bye; exit 3' });
    await peer.run({ name: `${P}-redis-1`, compose: { project: P, service: 'redis' }, cmd: FOREVER });
    await sleep(700);
    const t = targetsFor(envFor(P, { expectedServices: ['web', 'redis'] }));
    const f = await one(t, 'containers');
    expect(f.status).toBe('fail');
    expect(f.summary).toMatch(/web: exited \(exit code 3\)/);
    expect(f.evidence['web.exitCode']).toBe(3);
    expect(f.evidence['web.state']).toBe('exited');
    expect(f.signals).toEqual(['web-container-down']);
  });

  test('missing services: critical → fail, others → warn', async () => {
    const P = 'wsdmiss';
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: FOREVER });
    const crit = await one(targetsFor(envFor(P, { expectedServices: ['web', 'db', 'frontend'] })), 'containers');
    expect(crit.status).toBe('fail');
    expect(crit.evidence['db.state']).toBe('missing');
    expect(crit.summary).toMatch(/db: no container/);
    expect(crit.signals).toEqual(['db-down']);
    const soft = await one(targetsFor(envFor(P, { expectedServices: ['web', 'frontend'] })), 'containers');
    expect(soft.status).toBe('warn');
    expect(soft.summary).toMatch(/frontend: no container/);
  });

  test('a project with no container at all fails with a hint', async () => {
    const f = await one(targetsFor(envFor('wsdnothing')), 'containers');
    expect(f.status).toBe('fail');
    expect(f.summary).toMatch(/no container of compose project "wsdnothing"/);
  });
});

describe('restart loop', () => {
  test('RestartCount growth between two runs → web-restart-loop', async () => {
    const P = 'wsdloop';
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, restart: 'always', cmd: 'echo boot; sleep 0.3; exit 1' });
    const t = targetsFor(envFor(P, { expectedServices: ['web'], restartCountWarn: 1000 }));
    const first = await one(t, 'container-restarts');
    expect(first.status).toBe('ok');
    await sleep(2500);
    const second = await one(t, 'container-restarts');
    expect(second.status).toBe('fail');
    expect(second.signals).toContain('web-restart-loop');
    expect(Number(second.evidence[`${P}-web-1.growth`])).toBeGreaterThan(0);
    expect(second.summary).toMatch(/restart loop: web/);
  });

  test('high absolute RestartCount with a recent start is a loop on the first run too', async () => {
    const P = 'wsdloop';
    const t = targetsFor(envFor(P, { expectedServices: ['web'], restartCountWarn: 2 }));
    const f = await one(t, 'container-restarts');
    expect(f.status).toBe('fail');
    expect(f.summary).toMatch(/RestartCount \d+/);
  });
});

describe('remediation primitives', () => {
  const P = 'wsdrst';
  let target: DockerTarget;
  beforeAll(async () => {
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: `${START_LINES}; ${FOREVER}` });
    await peer.run({ name: `${P}-redis-1`, compose: { project: P, service: 'redis' }, health: { cmd: 'true' }, cmd: FOREVER });
    target = new DockerTarget({ socketPath: peer.socketPath, project: P });
  });
  afterAll(async () => target.close());

  test('restart web, then wait until the ASGI start line appears after the restart', async () => {
    const r = await restartService(target, 'web', { stopTimeoutSeconds: 1 });
    expect(r.ok).toBe(true);
    expect(r.containers).toHaveLength(1);
    expect(r.containers[0]).toMatchObject({ name: `${P}-web-1`, before: 'running', after: 'running', ok: true });
    const w = await waitUntilHealthy(target, 'web', { since: r.startedAt, deadlineMs: 15000 });
    expect(w.ok).toBe(true);
    expect(w.containers[0]?.via).toBe('start-line');
    expect(w.containers[0]?.startLine).toMatch(/Uvicorn running on|Application startup complete/);
  });

  test('wait-until-healthy follows the health status when there is a health check', async () => {
    const r = await restartService(target, 'redis', { stopTimeoutSeconds: 1 });
    expect(r.ok).toBe(true);
    // No systemd timer here: move the health status by hand while waiting.
    let stop = false;
    const mover = (async () => {
      await sleep(800);
      while (!stop) {
        await peer.healthcheck(`${P}-redis-1`);
        await sleep(300);
      }
    })();
    const w = await waitUntilHealthy(target, 'redis', { since: r.startedAt, deadlineMs: 15000, pollMs: 200 });
    stop = true;
    await mover;
    expect(w.ok).toBe(true);
    expect(w.containers[0]).toMatchObject({ via: 'health', health: 'healthy', ready: true });
    expect(w.containers[0]?.waitedMs).toBeGreaterThanOrEqual(500);
  });

  test('wait-until-healthy gives up at its deadline with the reason', async () => {
    const w = await waitUntilHealthy(target, 'web', { since: new Date(Date.now() + 60000), deadlineMs: 1200, pollMs: 200 });
    expect(w.ok).toBe(false);
    expect(w.error).toMatch(/not healthy within 1200 ms: .*not restarted/);
    expect(w.durationMs).toBeLessThan(3000);
  });

  test('stop then start one service', async () => {
    const s = await stopService(target, 'web', { stopTimeoutSeconds: 1 });
    expect(s.ok).toBe(true);
    expect(s.containers[0]?.after).toBe('exited');
    const g = await startService(target, 'web');
    expect(g.ok).toBe(true);
    expect(g.containers[0]?.after).toBe('running');
  });

  test('unknown service: ok false, nothing touched', async () => {
    const r = await restartService(target, 'nope');
    expect(r.ok).toBe(false);
    expect(r.containers).toEqual([]);
    expect(r.error).toMatch(/no container of service "nope"/);
  });
});

describe('front-end conflict (guide Issue 2)', () => {
  const servers: net.Server[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  async function localServer(): Promise<number> {
    const port = await freePort();
    const srv = net.createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    servers.push(srv);
    return port;
  }

  test('frontend container running while a local process holds the port → conflict naming the local process', async () => {
    const P = 'wsdfe';
    const port = await localServer();
    await peer.run({ name: `${P}-frontend-1`, compose: { project: P, service: 'frontend' }, cmd: FOREVER });
    const f = await one(targetsFor(envFor(P, { frontendPort: port, expectedServices: ['frontend'] })), 'frontend-conflict');
    expect(f.status).toBe('warn');
    expect(f.signals).toEqual(['frontend-port-conflict']);
    expect(f.evidence).toMatchObject({ port, holder: 'local', holderPid: process.pid, frontendState: 'running' });
    expect(f.summary).toMatch(new RegExp(`port ${port} is held by a local process`));
  });

  test('vice versa: the container holds the port while a local Vite runs → conflict naming the container', async () => {
    const P = 'wsdfe2';
    const port = await freePort();
    await peer.run({
      name: `${P}-frontend-1`,
      compose: { project: P, service: 'frontend' },
      cmd: `exec httpd -f -p 127.0.0.1:${port} -h /www`,
    });
    // A stand-in local Vite, shaped as npm starts one: `node …/node_modules/vite/bin/vite.js --port N`. Processes
    // that merely mention vite (an editor on vite.config.ts, grep vite, vitest) must not count.
    const dir = mkdtempSync(join(tmpdir(), 'wsd-vite-'));
    mkdirSync(join(dir, 'node_modules/vite/bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/vite/bin/vite.js'), 'setTimeout(() => {}, 60000);\n');
    writeFileSync(join(dir, 'vite.config.ts'), 'setTimeout(() => {}, 60000);\n');
    const vite = spawn(process.execPath, [join(dir, 'node_modules/vite/bin/vite.js'), '--port', String(port)], { stdio: 'ignore' });
    const notVite = spawn(process.execPath, [join(dir, 'vite.config.ts'), 'vite'], { stdio: 'ignore' });
    children.push(vite, notVite);
    await sleep(300);
    const f = await one(targetsFor(envFor(P, { frontendPort: port, expectedServices: ['frontend'] })), 'frontend-conflict');
    expect(f.status).toBe('warn');
    expect(f.signals).toEqual(['frontend-port-conflict']);
    expect(f.evidence).toMatchObject({ holder: 'frontend-container', holderContainer: `${P}-frontend-1`, localDevServers: 1 });
    expect(f.summary).toMatch(/held by the frontend container .* while a local dev server also runs/);
  });

  test('local front end and no frontend container: ok', async () => {
    const port = await localServer();
    const f = await one(targetsFor(envFor('wsdfe3', { frontendPort: port, frontendProcessPattern: 'no-such-dev-server-xyz' })), 'frontend-conflict');
    expect(f.status).toBe('ok');
    expect(f.evidence).toMatchObject({ holder: 'local', frontendState: 'missing' });
  });

  test('critical frontend → fail instead of warn', async () => {
    const port = await localServer();
    const f = await one(
      targetsFor(envFor('wsdfe', { frontendPort: port, criticalServices: ['frontend'], expectedServices: ['frontend'] })),
      'frontend-conflict',
    );
    expect(f.status).toBe('fail');
  });
});

describe('engine unreachable', () => {
  test('no socket: every container check is unknown with the reason and the fix, fast', async () => {
    const env = envFor('wsdok', { socketPath: `${peer.dir}/missing.sock` });
    const t = targetsFor(env);
    const all = await run(t, dockerChecks.map((c) => c.name));
    for (const c of dockerChecks) {
      const f = all[c.name] as Finding;
      expect(f.status).toBe('unknown');
      expect(f.signals).toContain('docker-unreachable');
      expect(f.summary).toMatch(/no Docker engine socket at unix:\/\/.*missing\.sock/);
      expect(f.evidence.fix).toMatch(/mount the engine socket/);
      expect(f.durationMs).toBeLessThan(1000);
    }
  });

  test('TCP host where nothing listens: unknown, fix points at docker.host', async () => {
    const port = await freePort();
    const f = await one(targetsFor(envFor('wsdok', { host: '127.0.0.1', port })), 'containers');
    expect(f.status).toBe('unknown');
    expect(f.summary).toMatch(/tcp:\/\/127\.0\.0\.1/);
    expect(f.evidence.fix).toMatch(/docker\.host/);
  });

  // Last: this one stops the engine of this file.
  test('the engine disappears mid-run: unknown within the check timeout; primitives report, never throw', async () => {
    const P = 'wsdgone';
    // A log big enough that the scan is still running when the engine goes.
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: `seq 1 400000 | sed 's/^/INFO noise line number /'; ${FOREVER}` });
    await sleep(1500);
    const env = envFor(P, { expectedServices: ['web'], timeoutMs: 5000, logTailLines: 10_000_000, logWindowSeconds: 3600 });
    const t = targetsFor(env);
    const target = t.docker() as DockerTarget;
    // Warm the snapshot path, then start the log check and pull the engine out from under it.
    expect((await one(t, 'containers')).status).toBe('ok');
    const running = run(t, ['backend-logs']);
    await sleep(400);
    await peer.stopService('SIGKILL');
    const t0 = Date.now();
    const f = (await running)['backend-logs'] as Finding;
    expect(f.status).toBe('unknown');
    expect(f.signals).toContain('docker-unreachable');
    expect(f.durationMs).toBeLessThan(dockerCheckTimeout('backend-logs', env));
    expect(Date.now() - t0).toBeLessThan(6000);

    const after = await run(t, ['containers', 'container-restarts']);
    expect(after.containers?.status).toBe('unknown');
    expect(after.containers?.summary).toMatch(/not running \(connection refused\)|no Docker engine socket/);
    expect(after['container-restarts']?.status).toBe('unknown');

    const r = await restartService(target, 'web', { stopTimeoutSeconds: 1 });
    expect(r.ok).toBe(false);
    expect(r.fix).toBeTruthy();
    const w = await waitUntilHealthy(target, 'web', { deadlineMs: 800, pollMs: 200 });
    expect(w.ok).toBe(false);
    expect(w.fix).toBeTruthy();
  });
});
