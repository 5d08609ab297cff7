/**
 * Log diagnostics through a real Docker Engine API (podman's compatible service): the marker counts and their
 * signals, `since` windows, de-duplication, redaction of what leaves the process, the `logs` command core,
 * TTY (raw) streams, and a live log stream.
 */
import { runChecks, withDependencies } from '../../src/checks/runner';
import { allChecks } from '../../src/checks/registry';
import { dispatch } from '../../src/chat/dispatch';
import { parseConfig } from '../../src/config/load';
import { renderText } from '../../src/console/render';
import { Doctor } from '../../src/core/doctor';
import type { Finding } from '../../src/checks/types';
import { environmentSchema, type EnvConfig } from '../../src/config/schema';
import { fetchLogs } from '../../src/logs/logs-command';
import { scanContainerLogs } from '../../src/logs/scan';
import { buildTargets } from '../../src/targets/build';
import { DockerTarget } from '../../src/targets/docker';
import type { Targets } from '../../src/targets/targets';
import { startPodman, type PodmanPeer } from '../peers/podman';

jest.setTimeout(120000);

/** The checks that read the Docker Engine API. */
const dockerChecks = allChecks.filter((c) => ['containers', 'container-restarts', 'backend-logs', 'frontend-conflict'].includes(c.name));

let peer: PodmanPeer;
let target: DockerTarget;
const opened: Targets[] = [];

const TOKEN = 'Qx7_kP2m-Zr9LwB4tY6uN1sD3fG5hJ8kL0aS2dF4gH6';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU';

beforeAll(async () => {
  peer = await startPodman();
  target = new DockerTarget({ socketPath: peer.socketPath, project: 'wsdlogs' });
});

afterAll(async () => {
  await target?.close();
  await Promise.all(opened.map((t) => t.close()));
  await peer?.cleanup();
});

function envFor(project: string, docker: Record<string, unknown> = {}): EnvConfig {
  return environmentSchema.parse({
    docker: { socketPath: peer.socketPath, project, timeoutMs: 3000, expectedServices: ['web'], ...docker },
    checks: { deadlineMs: 10000, timeoutMs: 4000 },
  });
}

async function logsCheck(project: string, docker: Record<string, unknown> = {}): Promise<Finding> {
  const t = buildTargets('test', envFor(project, docker));
  opened.push(t);
  const res = await runChecks({ envName: 'test', env: t.env, targets: t, checks: withDependencies(['backend-logs'], dockerChecks) });
  const f = res.findings.find((x) => x.check === 'backend-logs');
  if (!f) throw new Error('no backend-logs finding');
  return f;
}

/** A shell script that prints `lines` (single-quoted for sh) then idles. */
function printer(lines: string[], then = 'while true; do sleep 1; done'): string {
  return `${lines.map((l) => `echo '${l.replace(/'/g, `'\\''`)}'`).join('; ')}; ${then}`;
}

let msCounter = 0;
const at = (): string => `2026-11-26 10:00:0${Math.floor(msCounter / 1000) % 10},${String(msCounter++ % 1000).padStart(3, '0')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForLines(container: string, n: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await peer.podman(['logs', container]);
    if (r.stdout.split('\n').filter(Boolean).length + r.stderr.split('\n').filter(Boolean).length >= n) return;
    await sleep(100);
  }
}

describe('backend-logs check', () => {
  test('healthy traffic: ok, counts, start line, no signal', async () => {
    const P = 'wsdhealthy';
    const lines = ['INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)', 'INFO:     Application startup complete.'];
    for (let i = 0; i < 5; i++) {
      lines.push(
        `INFO ${at()} [WS_TOKEN_API] Generated connection token for user=u${i}`,
        `INFO ${at()} [WS_TOKEN] Generated connection token: user=u${i} ttl=60s`,
        `INFO ${at()} [WS_TOKEN] Successfully consumed connection token: user=u${i} age=0.2s`,
        `INFO ${at()} [WS_AUTH] Authenticated via connection token: user=u${i}, path=/ws/chat/c${i}/`,
        `INFO:     127.0.0.1:5${i}000 - "WebSocket /ws/chat/c${i}/?connection_token=${TOKEN}" [accepted]`,
        `INFO ${at()} WebSocket connected: user=${i}, conversation=c${i}`,
      );
    }
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: printer(lines) });
    await waitForLines(`${P}-web-1`, lines.length);
    const f = await logsCheck(P);
    expect(f.status).toBe('ok');
    expect(f.signals ?? []).toEqual([]);
    expect(f.evidence).toMatchObject({ tokensGenerated: 5, tokensConsumed: 5, handshakes: 5, handshakesRejected: 0, asgiStarts: 1, handshakeSource: 'access-log' });
    expect(f.summary).toMatch(/5 tokens generated, 5 consumed, 5\/5 handshakes accepted/);
    expect(JSON.stringify(f)).not.toContain(TOKEN);
  });

  test('broken traffic: every ratio rule raises its signal; evidence redacted', async () => {
    const P = 'wsdbroken';
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) lines.push('INFO:     Application startup complete.');
    for (let i = 0; i < 10; i++) lines.push(`INFO ${at()} [WS_TOKEN_API] Generated connection token for user=u${i}`);
    lines.push(`INFO ${at()} [WS_TOKEN] Successfully consumed connection token: ${TOKEN.slice(0, 8)}... age=1.0s`);
    for (let i = 0; i < 3; i++) {
      lines.push(`INFO:     127.0.0.1:6${i}000 - "WebSocket /ws/chat/x${i}/?token=${JWT}" 403`);
      lines.push(`WARNING ${at()} WebSocket rejected - unauthorized origin`);
    }
    lines.push(`INFO:     127.0.0.1:7000 - "WebSocket /ws/chat/ok/?connection_token=${TOKEN}" [accepted]`);
    lines.push(`ERROR ${at()} Unexpected error validating connection token: Error 111 connecting to redis://:hunter2pass@redis:6379/2`);
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: printer(lines) });
    await waitForLines(`${P}-web-1`, lines.length);
    const f = await logsCheck(P);
    expect(f.status).toBe('warn');
    expect(new Set(f.signals)).toEqual(new Set(['ssl-redirect-suspected', 'redis-errors-in-logs', 'origin-rejections', 'asgi-reload-loop']));
    expect(f.evidence).toMatchObject({ tokensGenerated: 10, tokensConsumed: 1, handshakes: 4, handshakesRejected: 3, asgiStarts: 4, redisErrors: 1 });
    const text = JSON.stringify(f);
    for (const secret of [TOKEN, TOKEN.slice(0, 8), JWT.slice(0, 30), 'hunter2pass']) expect(text).not.toContain(secret);
    expect(f.evidence.line1).toBeDefined();
  });

  test('invalid or expired tokens → token-expiry-or-db-mismatch', async () => {
    const P = 'wsdexpired';
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) {
      lines.push(`INFO ${at()} [WS_TOKEN] Generated connection token: user=u${i} ttl=60s`);
      lines.push(`WARNING ${at()} [WS_TOKEN] Invalid or expired token: ${TOKEN.slice(0, 8)}...`);
      lines.push(`WARNING ${at()} [WS_AUTH] Invalid connection token for path=/ws/chat/c${i}/`);
    }
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: printer(lines) });
    await waitForLines(`${P}-web-1`, lines.length);
    const f = await logsCheck(P);
    expect(f.signals).toEqual(['token-expiry-or-db-mismatch']);
    expect(f.evidence.tokensInvalid).toBe(5);
    expect(JSON.stringify(f)).not.toContain(TOKEN.slice(0, 8));
  });

  test('doubled services.* lines are counted once', async () => {
    const P = 'wsddouble';
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) {
      const l = `INFO ${at()} [WS_TOKEN] Generated connection token: user=u${i} ttl=60s`;
      lines.push(l, l);
    }
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: printer(lines) });
    await waitForLines(`${P}-web-1`, lines.length);
    const f = await logsCheck(P);
    expect(f.evidence).toMatchObject({ tokensGenerated: 4, duplicatesDropped: 4 });
  });

  test('log window: only lines since the window start count', async () => {
    const P = 'wsdwindow';
    const old = Array.from({ length: 6 }, (_, i) => `INFO ${at()} [WS_TOKEN_API] Generated connection token for user=old${i}`);
    const fresh = [`INFO ${at()} [WS_TOKEN_API] Generated connection token for user=new`];
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: printer(old, `sleep 3; ${printer(fresh)}`) });
    await sleep(4000);
    const all = await logsCheck(P, { logWindowSeconds: 600 });
    expect(all.evidence.tokensGenerated).toBe(7);
    const recent = await logsCheck(P, { logWindowSeconds: 2 });
    expect(recent.evidence.tokensGenerated).toBe(1);
  });

  test('no container for the log service → unknown with a reason', async () => {
    const f = await logsCheck('wsdnolog');
    expect(f.status).toBe('unknown');
    expect(f.summary).toMatch(/no container of service "web"/);
  });
});

describe('fetchLogs (the `logs` command core)', () => {
  const P = 'wsdlogs';
  beforeAll(async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i} ${i % 10 === 0 ? `[WS_TOKEN] Generated connection token: user=u${i} ttl=60s` : 'noise'}`);
    lines.push(`INFO:     127.0.0.1:5000 - "WebSocket /ws/chat/a/?connection_token=${TOKEN}" [accepted]`);
    lines.push(`DEBUG Cookie: access_token=${JWT}; sessionid=sessvalue123`);
    await peer.run({ name: `${P}-web-1`, compose: { project: P, service: 'web' }, cmd: `${printer(lines, 'echo "to stderr" >&2; while true; do sleep 1; done')}` });
    await waitForLines(`${P}-web-1`, lines.length + 1);
  });

  test('tail-limited (default 50), redacted, with truncation flag', async () => {
    const r = await fetchLogs(target, { service: 'web' });
    expect(r.container).toBe(`${P}-web-1`);
    expect(r.lines).toHaveLength(50);
    expect(r.truncated).toBe(true);
    const text = r.lines.join('\n');
    expect(text).toContain('to stderr');
    expect(text).toContain('connection_token=[REDACTED]');
    for (const s of [TOKEN, JWT.slice(0, 30), 'sessvalue123']) expect(text).not.toContain(s);
  });

  test('grep filters on the redacted text; tail applies to matches', async () => {
    const r = await fetchLogs(target, { service: 'web', grep: 'WS_TOKEN', tail: 5 });
    expect(r.lines).toHaveLength(5);
    expect(r.matched).toBe(12);
    expect(r.truncated).toBe(true);
    expect(r.lines[4]).toMatch(/^line 110 /);
    // Secrets cannot be probed through --grep.
    const probe = await fetchLogs(target, { service: 'web', grep: TOKEN.slice(0, 10) });
    expect(probe.lines).toEqual([]);
    // An invalid regex is a plain substring.
    const lit = await fetchLogs(target, { service: 'web', grep: 'line 11[' });
    expect(lit.lines).toEqual([]);
  });

  test('since window and tail bigger than the log', async () => {
    const all = await fetchLogs(target, { service: 'web', tail: 1000, sinceSeconds: 3600 });
    expect(all.truncated).toBe(false);
    expect(all.lines.length).toBe(123);
  });

  test('`/ws logs` end to end: dispatch → Doctor → engine, redacted and tail-limited; bad input explained', async () => {
    const config = parseConfig({ defaultEnv: 'dev', environments: { dev: { docker: { socketPath: peer.socketPath, project: P } } } });
    const doctor = Doctor.create(config, { stateDir: null });
    try {
      const plan = dispatch('logs web --since 10m --grep WS_TOKEN --tail 3', { doctor, surface: 'console', prefix: '/ws' });
      expect(plan.kind).toBe('run');
      const msg = plan.kind === 'run' ? await plan.run() : plan.message;
      const text = renderText(msg, { color: false });
      expect(text).toContain(`Logs of web (${P}-web-1)`);
      expect(text.match(/\[WS_TOKEN\] Generated connection token/g)).toHaveLength(3);
      expect(text).toMatch(/Not the whole window: showing the last 3 of \d+ lines; the window starts earlier/);
      const whole = await (dispatch('logs web --since 10m --grep WS_TOKEN --tail 200', { doctor, surface: 'console', prefix: '/ws' }) as { run(): Promise<unknown> }).run();
      expect(renderText(whole as never, { color: false })).toMatch(/The whole window: all \d+ line\(s\)\./);
      const leaky = await (dispatch('logs --grep connection_token', { doctor, surface: 'console', prefix: '/ws' }) as { run(): Promise<unknown> }).run();
      expect(JSON.stringify(leaky)).toContain('connection_token=[REDACTED]');
      expect(JSON.stringify(leaky)).not.toContain(TOKEN);
      const bad = dispatch('logs web --since soon', { doctor, surface: 'console', prefix: '/ws' });
      expect(bad.kind === 'immediate' && renderText(bad.message, { color: false })).toMatch(/--since needs a duration like 30s, 10m or 2h/);
    } finally {
      await doctor.close();
    }
  });

  test('unknown service → a DockerUnavailableError with a fix', async () => {
    await expect(fetchLogs(target, { service: 'nope' })).rejects.toMatchObject({ code: 'not-found', fix: expect.stringMatching(/docker compose up/) });
  });

  test('TTY container: raw stream, no demultiplexing', async () => {
    const T = new DockerTarget({ socketPath: peer.socketPath, project: 'wsdtty' });
    try {
      await peer.run({ name: 'wsdtty-web-1', compose: { project: 'wsdtty', service: 'web' }, tty: true, cmd: printer(['tty line one', `tty token=${TOKEN}`]) });
      await sleep(800);
      const r = await fetchLogs(T, { service: 'web' });
      expect(r.lines).toEqual(['tty line one', 'tty token=[REDACTED]']);
    } finally {
      await T.close();
    }
  });
});

describe('live log stream', () => {
  test('markers written every second are seen by successive scans', async () => {
    const P = 'wsdlive';
    const T = new DockerTarget({ socketPath: peer.socketPath, project: P });
    try {
      await peer.run({
        name: `${P}-web-1`,
        compose: { project: P, service: 'web' },
        cmd: 'i=0; while true; do i=$((i+1)); echo "INFO 2026-11-26 10:00:00,$(printf %03d $i) [WS_TOKEN] Generated connection token: user=u$i ttl=60s"; sleep 0.2; done',
      });
      const [c] = await T.serviceContainers('web');
      if (!c) throw new Error('no container');
      await sleep(700);
      const a = await scanContainerLogs(T, c, {});
      await sleep(1000);
      const b = await scanContainerLogs(T, c, {});
      expect(a.counts.tokenGenerated).toBeGreaterThan(0);
      expect(b.counts.tokenGenerated).toBeGreaterThan(a.counts.tokenGenerated);
      expect(b.stoppedEarly).toBe(false);
    } finally {
      await T.close();
    }
  });
});
