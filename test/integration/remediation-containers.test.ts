/**
 * The container remediations through the whole flow, on a real Docker Engine API (podman's) running a Compose-
 * labelled project whose `web` is the real Channels app under Daphne and whose `redis` is a real redis-server,
 * checked by the real checks: restart web (verified by http-liveness, ws-edge and an authenticated chat
 * handshake), restart celery, restart redis requested and approved while that Redis is down (then web is
 * offered), stop the front end, the full restart in dependency order, and preview drift when a container is
 * recreated between approval and execution.
 */
import { parseConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import type { RemediationRequest } from '../../src/remediations/request';
import type { Outcome } from '../../src/remediations/engine';
import { freePort } from '../../src/util/net';
import { startComposeChannelsStack, type ComposeChannelsStack } from '../peers/channels-compose';
import { PEER_PROBE_USER } from '../peers/channels-stack';
import { startPodman, type PodmanPeer } from '../peers/podman';

jest.setTimeout(240000);

const P = 'wsdrem';
const FOREVER = 'while true; do sleep 1; done';
const alice = { id: 'UALICE', name: 'alice' };
const bob = { id: 'UBOB', name: 'bob' };

let peer: PodmanPeer;
let stack: ComposeChannelsStack;
let doctor: Doctor;

beforeAll(async () => {
  peer = await startPodman();
  stack = await startComposeChannelsStack(peer, P);
  await peer.run({ name: `${P}-celery-1`, compose: { project: P, service: 'celery' }, cmd: FOREVER });
  await peer.run({ name: `${P}-frontend-1`, compose: { project: P, service: 'frontend' }, cmd: FOREVER });
  const config = parseConfig({
    environments: {
      local: {
        backend: { url: stack.webUrl, serviceAccount: { email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password }, timeoutMs: 3000 },
        redis: { url: stack.redisUrl, commandTimeoutMs: 1500 },
        prometheus: { enabled: false },
        docker: {
          socketPath: peer.socketPath,
          project: P,
          expectedServices: ['web', 'redis', 'celery', 'frontend'],
          criticalServices: ['web', 'redis', 'celery'],
          frontendPort: await freePort(),
          timeoutMs: 5000,
        },
        checks: { deadlineMs: 15000, timeoutMs: 12000 },
      },
    },
    policy: { verifyDeadlineSeconds: 60 },
  });
  doctor = Doctor.create(config, { stateDir: null });
});

afterAll(async () => {
  await doctor?.close();
  await peer?.cleanup();
});

async function inspect(name: string): Promise<{ id: string; startedAt: string; running: boolean }> {
  const r = await peer.podman(['inspect', '--format', '{{.Id}} {{.State.StartedAt}} {{.State.Running}}', name]);
  const [id = '', ...rest] = r.stdout.trim().split(' ');
  const running = rest.pop() === 'true';
  return { id, startedAt: rest.join(' '), running };
}

async function requestAndApprove(action: string, args: string[] = []): Promise<RemediationRequest> {
  const out = await doctor.remediations.request({ env: 'local', action, args, requester: alice });
  if (out.kind !== 'done') throw new Error(`request of ${action}: ${JSON.stringify(out)}`);
  const r = out.request;
  const done: Outcome = await doctor.remediations.approve(r.id, bob, { previewId: r.preview.id, digest: r.preview.digest });
  if (done.kind !== 'done') throw new Error(`approve of ${action}: ${JSON.stringify(done)}`);
  return done.request;
}

test('restart web: dry-run preview, then restarted once and verified by a real handshake', async () => {
  const dry = await doctor.remediations.request({ env: 'local', action: 'restart-backend', args: [], requester: alice, dryRun: true });
  expect(dry).toMatchObject({ kind: 'preview', preview: { actionable: true, items: [{ kind: 'container', label: `${P}-web-1`, detail: expect.stringMatching(/^up .*, 0 restarts$/) }] } });
  const before = await inspect(`${P}-web-1`);
  const r = await requestAndApprove('restart-backend');
  expect(r).toMatchObject({ state: 'succeeded', result: { ok: true, summary: expect.stringMatching(/restarted wsdrem-web-1 running→running/) } });
  expect(r.after?.map((c) => `${c.check}:${c.status}`)).toEqual(['http-liveness:ok', 'ws-edge:ok', 'chat-handshake:ok']);
  const after = await inspect(`${P}-web-1`);
  expect(after.id).toBe(before.id);
  expect(after.startedAt).not.toBe(before.startedAt);
  // The hourly cap counts it: two more are allowed, then refused (default 3/hour for web) — and the cooldown first.
  expect(await doctor.remediations.request({ env: 'local', action: 'restart-backend', args: [], requester: alice })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^cooldown: restart-backend ran on service:web/) });
});

test('restart celery: happy path', async () => {
  const before = await inspect(`${P}-celery-1`);
  const r = await requestAndApprove('restart-celery');
  expect(r.state).toBe('succeeded');
  expect((await inspect(`${P}-celery-1`)).startedAt).not.toBe(before.startedAt);
});

test('restart redis while that Redis is down: previewed, approved and executed (the bot state is elsewhere), then web is offered', async () => {
  await peer.podman(['stop', '-t', '1', `${P}-redis-1`]);
  const down = await doctor.runChecks('local', ['redis']);
  expect(down.find((f) => f.check === 'redis')?.status).toBe('fail');
  const r = await requestAndApprove('restart-redis');
  expect(r.preview.items[0]).toMatchObject({ label: `${P}-redis-1`, detail: expect.stringMatching(/^exited/) });
  expect(r).toMatchObject({ state: 'succeeded', followUps: ['restart-backend'] });
  expect(r.before?.find((c) => c.check === 'redis')?.status).toBe('fail');
  expect(r.after?.find((c) => c.check === 'redis')?.status).toBe('ok');
});

test('preview drift: the container was recreated after approval was asked → back to pending with the difference', async () => {
  const out = await doctor.remediations.request({ env: 'local', action: 'stop-frontend', args: [], requester: alice });
  if (out.kind !== 'done') throw new Error(JSON.stringify(out));
  expect(out.request.preview.warning).toMatch(/no local dev server found/);
  await peer.podman(['rm', '-f', '-t', '0', `${P}-frontend-1`]);
  await peer.run({ name: `${P}-frontend-1`, compose: { project: P, service: 'frontend' }, cmd: FOREVER });
  const again = await doctor.remediations.approve(out.request.id, bob, { previewId: out.request.preview.id, digest: out.request.preview.digest });
  expect(again).toMatchObject({ kind: 'done', request: { state: 'pending', drift: { gone: [expect.stringMatching(/^container:frontend:/)], added: [expect.stringMatching(/^container:frontend:/)] } } });
  const fresh = (again as { request: RemediationRequest }).request;
  expect((await inspect(`${P}-frontend-1`)).running).toBe(true);
  // Approved again on the new preview: stopped.
  const done = await doctor.remediations.approve(fresh.id, bob, { previewId: fresh.preview.id, digest: fresh.preview.digest });
  expect(done).toMatchObject({ request: { state: 'succeeded', result: { summary: expect.stringMatching(/stopped wsdrem-frontend-1 running→exited/) } } });
  expect((await inspect(`${P}-frontend-1`)).running).toBe(false);
});

test('full restart in dependency order: dependents stopped, infrastructure restarted, then web, celery, front end', async () => {
  await peer.podman(['start', `${P}-frontend-1`]);
  const r = await requestAndApprove('restart-all');
  expect(r.preview.summary).toMatch(/in order: redis → web → celery → frontend/);
  expect(r.steps.map((s) => s.step)).toEqual(['stop frontend', 'stop celery', 'stop web', 'restart redis', 'start web', 'start celery', 'start frontend']);
  expect(r).toMatchObject({ state: 'succeeded' });
  expect(r.after?.every((c) => c.status === 'ok' || c.status === 'warn')).toBe(true);
  expect(await doctor.remediations.audit.verify()).toMatchObject({ ok: true });
});
