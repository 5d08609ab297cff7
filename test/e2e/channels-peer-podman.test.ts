/**
 * End to end as deployed: the Channels peer (Debian Daphne + channels_redis) and its redis-server run in podman
 * containers with the Compose labels, the bot has Docker enabled (the normal deployment) and reads the web
 * container's own Daphne logs through the Engine API. On a healthy stack `status` must say healthy on every run,
 * not only the first: the bot's own probe traffic (its single-use proof, its probe conversations) must never
 * count as the stack's symptoms on the next run.
 */
import { loadConfig } from '../../src/config/load';
import { environmentSchema, type Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import type { StatusReport } from '../../src/diagnosis/types';
import { startComposeChannelsStack, type ComposeChannelsStack } from '../peers/channels-compose';
import { PEER_PROBE_USER } from '../peers/channels-stack';
import { startPodman, type PodmanPeer } from '../peers/podman';

jest.setTimeout(240000);

let podman: PodmanPeer;
let stack: ComposeChannelsStack;
const doctors: Doctor[] = [];

beforeAll(async () => {
  podman = await startPodman();
  stack = await startComposeChannelsStack(podman, 'wsdpeer');
}, 180000);

afterAll(async () => {
  await Promise.all(doctors.map((d) => d.close()));
  await podman?.cleanup();
});

function config(): Config {
  const env = environmentSchema.parse({
    description: 'Channels peer in podman (compose labels)',
    backend: { url: stack.webUrl, serviceAccount: { email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password }, timeoutMs: 5000 },
    redis: { url: stack.redisUrl },
    prometheus: { enabled: false },
    // The team scrapes where the exporter really answers (the real default /metrics is R12, a warn of its own).
    metrics: { scrapePath: '/metricsmetrics' },
    docker: {
      socketPath: podman.socketPath,
      project: stack.project,
      expectedServices: ['web', 'redis'],
      criticalServices: ['web', 'redis'],
      timeoutMs: 4000,
    },
    // A loaded CI machine must not turn a slow PING into "degraded": this test is about verdicts across runs.
    checks: { deadlineMs: 12000, timeoutMs: 8000, thresholds: { redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000, handshakeWarnMs: 3000, channelRoundTripWarnMs: 3000 } },
  });
  const base = loadConfig({ env: {} });
  return { ...base, defaultEnv: 'peer', environments: { peer: env } };
}

function describeReport(r: StatusReport): string {
  const bad = r.findings.filter((f) => f.status !== 'ok').map((f) => `${f.check}=${f.status}: ${f.summary}`);
  return `${r.verdict.headline}\n  ${bad.join('\n  ')}`;
}

describe('Channels peer in containers, logs through the engine', () => {
  it('the web container logs Daphne start-up and is found by its compose labels', async () => {
    const doctor = Doctor.create(config(), { stateDir: null });
    doctors.push(doctor);
    const r = await doctor.status('peer', { checks: ['containers'] });
    const f = r.findings.find((x) => x.check === 'containers');
    expect(f?.status).toBe('ok');
    const logs = await podman.podman(['logs', stack.webName]);
    expect(logs.stdout + logs.stderr).toMatch(/Listening on TCP address 127\.0\.0\.1:\d+/);
  });

  it('status four times in a row on a healthy stack: healthy every time', async () => {
    const doctor = Doctor.create(config(), { stateDir: null });
    doctors.push(doctor);
    const verdicts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await doctor.status('peer');
      verdicts.push(`run ${i + 1}: ${describeReport(r)}`);
      // The Daphne access log and the app's lines of this run must be in the engine's log before the next run.
      await new Promise((res) => setTimeout(res, 1000));
    }
    // eslint-disable-next-line no-console
    console.log(verdicts.join('\n'));
    for (const v of verdicts) expect(v).toMatch(/^run \d: Healthy/);
    const logs = await podman.podman(['logs', stack.webName]);
    // The runs really went through this container: its own lines of the probe's traffic.
    expect(logs.stdout + logs.stderr).toMatch(/\[WS_TOKEN\] Invalid or expired token: /);
    expect(logs.stdout + logs.stderr).toMatch(/WSREJECT/);
    expect(logs.stdout + logs.stderr).toMatch(/\[WS_SENT\] Successfully sent to client: event=ws_doctor_round_trip/);
  });
});

describe('faults on the containerised peer: the verdict names the cause', () => {
  const verdictAfter = async (): Promise<StatusReport> => {
    const doctor = Doctor.create(config(), { stateDir: null });
    doctors.push(doctor);
    return await doctor.status('peer');
  };

  it('a hung Redis container (SIGSTOP through the engine) → redis-hung, restart-redis', async () => {
    expect((await podman.podman(['kill', '--signal', 'STOP', stack.redisName])).code).toBe(0);
    try {
      const r = await verdictAfter();
      expect(`${r.verdict.rootCause?.id}: ${describeReport(r)}`).toMatch(/^redis-hung: /);
      expect(r.verdict.rootCause?.remediations).toEqual(['restart-redis']);
    } finally {
      await podman.podman(['kill', '--signal', 'CONT', stack.redisName]);
    }
  });

  it('clients (not the bot) presenting bogus tokens → clients-invalid-tokens, not a cache misconfiguration', async () => {
    const WebSocket = (await import('ws')).default;
    for (let i = 0; i < 6; i++) {
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${stack.webPort}/ws/chat/user-conv-${i}/?connection_token=bogus${i}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`);
        ws.on('unexpected-response', (_q, res) => (res.resume(), ws.terminate(), resolve()));
        ws.on('error', () => resolve());
        ws.on('open', () => (ws.close(), resolve()));
      });
    }
    await new Promise((res) => setTimeout(res, 1000));
    const r = await verdictAfter();
    expect(`${r.verdict.rootCause?.id}: ${describeReport(r)}`).toMatch(/^clients-invalid-tokens: /);
    expect(r.verdict.overall).toBe('degraded');
  });

  it('the chat route missing from the deployed routing → chat-route-missing (Redis healthy, no restart offered)', async () => {
    await stack.redeployWeb({ settings: { WSD_ROUTES: 'no-chat' } });
    const r = await verdictAfter();
    expect(`${r.verdict.rootCause?.id}: ${describeReport(r)}`).toMatch(/^chat-route-missing: /);
    expect(r.verdict.rootCause?.remediations).toEqual([]);
  });

  it('a web container that cannot start under restart: always → web-restart-loop, headlined as the loop', async () => {
    await stack.redeployWeb({ crashLoop: true });
    // Let the engine restart it a few times (each try costs a Python start-up).
    const until = Date.now() + 90000;
    for (;;) {
      const n = Number((await podman.podman(['inspect', '--format', '{{.RestartCount}}', stack.webName])).stdout.trim());
      if (n >= 6 || Date.now() > until) break; // docker.restartCountWarn is 5
      await new Promise((res) => setTimeout(res, 500));
    }
    const r = await verdictAfter();
    expect(`${r.verdict.rootCause?.id}: ${describeReport(r)}`).toMatch(/^web-restart-loop: /);
    expect(r.verdict.headline).not.toMatch(/uvicorn/i);
  });
});
