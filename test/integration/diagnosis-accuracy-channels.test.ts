/**
 * The accuracy table on the real Channels peer: a small Channels app of our own under Debian's Daphne with
 * channels_redis over a real redis-server (test/peers/channels-stack.ts), each fault injected the way it happens
 * in the field (a deployment setting, a stopped or full Redis, a paused server). The whole core runs against it
 * and the verdict is judged with the same rows as the demo backend (test/accuracy/cases.ts).
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import { ChannelsStack, type PeerFaultName } from '../peers/channels-stack';
import { CHANNELS_CASES, judge, table, type AccuracyRow } from '../accuracy/cases';

jest.setTimeout(120_000);

let stack: ChannelsStack;
const rows: AccuracyRow[] = [];

beforeAll(async () => {
  stack = await ChannelsStack.start();
});

afterAll(async () => {
  await stack?.stop();
  const out = table(rows);
  process.stdout.write(`\nDiagnosis accuracy (Channels peer under Daphne):\n${out}\n`);
  if (process.env.ACCURACY_OUT) writeFileSync(`${process.env.ACCURACY_OUT}.channels`, `${out}\n`);
});

/** The bot watching the peer (botEnv: the scrape path is the one the exporter serves unless the fault says otherwise). */
function config(): Config {
  const env = stack.botEnv();
  const thresholds = { ...env.checks.thresholds, redisPingWarnMs: 1000, tokenLatencyWarnMs: 3000, handshakeWarnMs: 3000 };
  const peer = {
    ...env,
    // Generous: a Python peer on a loaded 2-core machine can take seconds per request; hangs are still hangs.
    backend: { ...env.backend, timeoutMs: 5000, loginPerMinute: 60 },
    redis: { ...env.redis, commandTimeoutMs: 1500 },
    checks: { ...env.checks, deadlineMs: 16000, timeoutMs: 15000, thresholds },
  };
  return { ...loadConfig({ env: {} }), defaultEnv: 'peer', environments: { peer } };
}

describe.each(CHANNELS_CASES.map((c) => [c.fault, c] as const))('%s', (_name, c) => {
  it(`→ ${c.cause} (${c.overall})`, async () => {
    // inject() undoes the previous fault and restarts the peer only when the deployment changes.
    if (c.fault === 'healthy') await stack.heal();
    else await stack.inject(c.fault as PeerFaultName);
    const doctor = Doctor.create(config(), { stateDir: null });
    let row: AccuracyRow;
    try {
      const r = await doctor.status('peer');
      const got = { cause: r.verdict.rootCause?.id ?? 'none', overall: r.verdict.overall, remediations: r.verdict.rootCause?.remediations ?? [] };
      const j = judge(c, got);
      row = { peer: 'Channels/Daphne', fault: c.fault, expected: c.cause, got: got.cause, overall: got.overall, remediations: got.remediations, ...j };
      if (!j.right) {
        row.why = `${j.why}; headline: ${r.verdict.headline}; ${r.findings
          .filter((f) => f.status !== 'ok')
          .map((f) => `${f.check}=${f.status}[${f.signals?.join(',') ?? ''}] ${f.summary}`)
          .join(' | ')}`;
      }
    } finally {
      await doctor.close();
    }
    rows.push(row);
    expect(row.why ?? 'right').toBe('right');
  });
});
