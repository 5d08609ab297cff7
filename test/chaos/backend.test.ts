/**
 * Chaos area: a backend that misbehaves at the protocol level — crafted WebSocket frames (reserved opcode,
 * RSV bits, absurd length, 90 MB), a 90 MB HTTP answer, a black hole, connection resets. Each must be named at
 * once (not "got nothing" after the full timeout) and cost bounded memory.
 */
import type { Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import { parseConfig } from '../../src/config/load';
import { blackHole, rawBackend, resetter, wsFrame, type FaultServer } from './faults';
import { chaosRow, observe } from './row';

const PROBE_TIMEOUT_MS = 2500;

function configFor(backendUrl: string): Config {
  return parseConfig({
    defaultEnv: 'chaos',
    environments: {
      chaos: {
        backend: { url: backendUrl, timeoutMs: PROBE_TIMEOUT_MS, serviceAccount: { password: 'chaos-probe' } },
        redis: { url: 'redis://127.0.0.1:1' },
        prometheus: { enabled: false },
        docker: { enabled: false },
        checks: { deadlineMs: 5000 },
      },
    },
  });
}

async function findingsAgainst(server: FaultServer, checks: string[]) {
  const doctor = Doctor.create(configFor(server.url('http')), { stateDir: null });
  try {
    const rss0 = process.memoryUsage().rss;
    const findings = await doctor.runChecks('chaos', checks);
    return { findings, rssMb: Math.round((process.memoryUsage().rss - rss0) / 1e6) };
  } finally {
    await doctor.close();
  }
}

/** A 90 MB frame as a header plus 90 views of one 1 MB buffer: the test itself holds 1 MB, not 90. */
function hugeFrame(): Buffer[] {
  const mb = Buffer.alloc(1024 * 1024, 0x61);
  return [wsFrame(0x1, Buffer.alloc(0), { claimedLength: BigInt(90 * mb.length) }), ...Array.from({ length: 90 }, () => mb)];
}

const frameRows: Array<[string, () => Buffer | Buffer[], RegExp]> = [
  ['reserved opcode 0x3', () => wsFrame(0x3, Buffer.from('x')), /1002.*opcode/i],
  ['RSV1 bit set without an extension', () => wsFrame(0x1, Buffer.from('{"status":"ok"}'), { rsv: 4 }), /1002.*RSV1/i],
  ['absurd length (2^62 bytes claimed)', () => wsFrame(0x1, Buffer.alloc(0), { claimedLength: 2n ** 62n }), /(1009|1002)/],
  ['one 90 MB text frame', hugeFrame, /1009/],
];

for (const [what, frame, named] of frameRows) {
  chaosRow(`WS /ws/health/ upgrades, then sends ${what}`, 'ws-edge names the protocol error at once, bounded memory', async () => {
    const server = await rawBackend({ frames: frame });
    try {
      const { findings, rssMb } = await findingsAgainst(server, ['ws-edge']);
      const f = findings.find((x) => x.check === 'ws-edge');
      return observe(`${f?.status} in ${f?.durationMs} ms, RSS +${rssMb} MB: "${f?.summary.slice(0, 70)}"`, f?.status === 'fail' && named.test(f.summary) && f.durationMs < PROBE_TIMEOUT_MS - 500 && rssMb < 60);
    } finally {
      await server.stop();
    }
  }, 30_000);
}

chaosRow('backend answers every HTTP request with 90 MB', 'body streamed and capped: bounded memory, checks answer', async () => {
  const body = Buffer.alloc(90 * 1024 * 1024, 0x20);
  const server = await rawBackend({ httpBody: () => body });
  try {
    const { findings, rssMb } = await findingsAgainst(server, ['http-liveness', 'db-health']);
    return observe(`${findings.map((f) => `${f.check} ${f.status}`).join(', ')}; RSS +${rssMb} MB`, findings.length === 2 && rssMb < 60);
  } finally {
    await server.stop();
  }
}, 30_000);

chaosRow('backend black-holed (accepts, never answers)', 'every backend check ends by its timeout, named', async () => {
  const server = await blackHole();
  try {
    const t0 = Date.now();
    const { findings } = await findingsAgainst(server, ['http-liveness', 'ws-edge', 'token-issuance']);
    const ms = Date.now() - t0;
    return observe(`${findings.map((f) => `${f.check} ${f.status}`).join(', ')} in ${ms} ms`, findings.every((f) => f.status === 'fail') && ms < 5000 + 1500);
  } finally {
    await server.stop();
  }
}, 30_000);

chaosRow('backend resets every connection', 'checks fail at once naming the reset', async () => {
  const server = await resetter();
  try {
    const t0 = Date.now();
    const { findings } = await findingsAgainst(server, ['http-liveness', 'ws-edge']);
    const ms = Date.now() - t0;
    return observe(`${findings.map((f) => `${f.check} ${f.status}: ${f.summary.slice(0, 40)}`).join('; ')} in ${ms} ms`, findings.every((f) => f.status === 'fail') && ms < 2000);
  } finally {
    await server.stop();
  }
}, 30_000);
