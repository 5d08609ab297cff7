/**
 * The bot's own probe traffic never counts as the stack's symptoms. A real status run against the demo backend
 * (DEBUG off: Daphne log style, the real code's texts) writes the probe's lines — its login, tokens, the
 * `probe-<ts>` handshake, the single-use replay (`[WS_TOKEN] Invalid or expired token`, `Unauthenticated
 * WebSocket connection attempt for conversation probe-…`, WSREJECT) — and those lines, scanned as the log check
 * scans them, must raise nothing; other clients' identical refusals still must.
 */
import { loadConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend, type DemoBackend } from '../../src/demo/index';
import { analyzeCounts } from '../../src/logs/analyze';
import { OwnTraffic } from '../../src/logs/own-traffic';
import { LogScanner } from '../../src/logs/scanner';
import { startRedisServer, type RedisProcess } from '../peers/redis';

let redis: RedisProcess;
let backend: DemoBackend;
let doctor: Doctor;

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startDemoBackend({ redisUrl: redis.url, debug: false, loginRatePerMinute: 1000 });
  doctor = Doctor.create(demoConfig(loadConfig({ env: {} }), backend, redis.url), { stateDir: null });
});

afterAll(async () => {
  await doctor?.close();
  await backend?.stop();
  await redis?.stop();
});

const thresholds = { rejectRatioWarn: 0.2, tokenConsumeRatioWarn: 0.5, minEvents: 3, reloadLoopStarts: 3 };

function scan(lines: string[], own?: OwnTraffic) {
  const s = new LogScanner({ ...(own ? { own } : {}) });
  s.write(2, Buffer.from(lines.join('\n') + '\n'));
  const r = s.end();
  return { r, v: analyzeCounts(r.counts, thresholds) };
}

test("three status runs' worth of probe lines raise nothing once known as the bot's own", async () => {
  const since = Date.now();
  for (let i = 0; i < 3; i++) await doctor.status('demo');
  const lines = backend.logs.lines(since);
  expect(lines.some((l) => l.includes('[WS_TOKEN] Invalid or expired token'))).toBe(true);
  expect(lines.some((l) => /Unauthenticated WebSocket connection attempt for conversation probe-\d+/.test(l))).toBe(true);
  expect(lines.some((l) => /WSREJECT \/ws\/chat\/probe-\d+\//.test(l))).toBe(true);

  // Without knowing them, the same lines look like a broken stack (the misread of issue 7).
  const blind = scan(lines);
  expect(blind.v.signals.length).toBeGreaterThan(0);

  const session = doctor.targetsOf('demo').session;
  const known = scan(lines, new OwnTraffic({ ...session.identity, tokenPrefixes: session.tokenPrefixes }));
  expect(known.v.signals).toEqual([]);
  expect(known.v.problems).toEqual([]);
  expect(known.r.ownLines).toBeGreaterThan(10);

  // A fresh process knows no token prefixes: the probe paths and the probe user still identify every line.
  const fresh = scan(lines, new OwnTraffic({ ...session.identity }));
  expect(fresh.v.signals).toEqual([]);
});

test("other clients' refusals are still counted next to the bot's own", async () => {
  const since = Date.now();
  await doctor.status('demo');
  const ws = await import('ws');
  // Another client replaying bogus tokens on its own conversation.
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve) => {
      const c = new ws.WebSocket(`${backend.wsUrl}/ws/chat/ava-${i}/?connection_token=bogus${i}bogus${i}bogusbogus`);
      c.on('error', () => resolve());
      c.on('close', () => resolve());
      c.on('unexpected-response', () => resolve());
    });
  }
  const session = doctor.targetsOf('demo').session;
  const { v } = scan(backend.logs.lines(since), new OwnTraffic({ ...session.identity, tokenPrefixes: session.tokenPrefixes }));
  expect(v.metrics.tokensInvalid).toBe(4);
  expect(v.signals).toContain('token-expiry-or-db-mismatch');
});
