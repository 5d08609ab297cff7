/**
 * `npm run bench -- rss`: the bot's memory, as the compiled bot a container runs (`node dist/cli.js`, built here
 * first), against a bare Node process doing nothing (the floor no Node program gets under):
 *
 * - idle RSS in console mode and in Slack HTTP mode (the stand-in as Slack), 5 s after start;
 * - a soak: N status runs (default 10,000; `BENCH_RSS_RUNS`) in one process against the demo stack, RSS after
 *   GC at 1,000 runs and at N: growth beyond 10 % would be a leak.
 *
 * Targets: idle ≤ 100 MB in both modes, growth ≤ 10 %.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { startDemoBackend } from '../src/demo/index';
import { startRedisServer } from '../src/demo/redis-process';
import { DEMO_SERVICE_ACCOUNT } from '../src/demo/users';
import { freePort } from '../src/util/net';
import { REPO_ROOT, startSlackStandIn } from '../test/peers/slack-api';
import type { BenchResult } from './types';

const execFileAsync = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return Math.round(kb / 1024);
}

/** The Node flags the image's ENTRYPOINT runs the bot with (Dockerfile), so the bench measures what runs. */
function imageNodeFlags(): string[] {
  const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!line) throw new Error('Dockerfile: no ENTRYPOINT ["node", …, "dist/cli.js"] line to read the Node flags from');
  const argv = JSON.parse(line) as string[];
  return argv.slice(1, argv.indexOf('dist/cli.js'));
}

/** Start a process, wait `settleMs`, read its RSS, stop it by pid. */
async function idleRss(args: string[], env: NodeJS.ProcessEnv, settleMs = 5000): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    await sleep(settleMs);
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    return rssMb(child.pid as number);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const SOAK = `
const { parseConfig } = require(${JSON.stringify(path.join(REPO_ROOT, 'dist/config/load.js'))});
const { Doctor } = require(${JSON.stringify(path.join(REPO_ROOT, 'dist/core/doctor.js'))});
const [url, redis, email, password, runs] = process.argv.slice(1);
const env = { backend: { url, serviceAccount: { email, password } }, redis: { url: redis },
  prometheus: { enabled: false }, docker: { enabled: false } };
const doctor = Doctor.create(parseConfig({ defaultEnv: 'demo', environments: { demo: env } }), { stateDir: null });
const rss = () => { global.gc(); global.gc(); return Math.round(process.memoryUsage().rss / 1048576); };
(async () => {
  const marks = { ok: 0 };
  const t0 = Date.now();
  for (let i = 1; i <= Number(runs); i++) {
    // Only healthy runs count: a soak of timed-out runs would measure nothing.
    if ((await doctor.status('demo')).verdict.overall === 'ok') marks.ok++;
    if (i === 1000 || i === Number(runs)) marks[i] = rss();
    if (i % 1000 === 0) process.stderr.write('rss: ' + i + ' runs, ' + marks.ok + ' ok, ' + Math.round((Date.now() - t0) / i) + ' ms/run\\n');
  }
  process.stdout.write(JSON.stringify(marks));
  await doctor.close();
  process.exit(0);
})();
`;

export async function benchRss(): Promise<BenchResult> {
  process.stderr.write('rss: building dist/ (tsc)…\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  const cli = path.join(REPO_ROOT, 'dist/cli.js');
  const bare = await idleRss(['-e', 'setInterval(() => {}, 1e9)'], {});
  const flags = imageNodeFlags();
  process.stderr.write(`rss: the bot runs as the image runs it: node ${[...flags, 'dist/cli.js'].join(' ')}\n`);
  const consoleMb = await idleRss([...flags, cli, 'start'], { SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '', SLACK_SIGNING_SECRET: '' });
  const standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  let httpMb: number;
  try {
    httpMb = await idleRss([...flags, cli, 'start'], {
      SLACK_BOT_TOKEN: standIn.botToken,
      SLACK_SIGNING_SECRET: 'bench-secret',
      SLACK_API_URL: standIn.apiUrl,
      PORT: String(await freePort()),
      WS_DOCTOR_METRICS_PORT: String(await freePort()),
    });
  } finally {
    await standIn.close();
  }

  const runs = Number(process.env.BENCH_RSS_RUNS ?? 10000);
  const redis = await startRedisServer();
  const backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 100000, drfRatesPerMinute: { anon: 10_000_000, user: 10_000_000 } });
  let marks: Record<string, number>;
  const t0 = Date.now();
  try {
    process.stderr.write(`rss: ${runs} status runs against the demo stack…\n`);
    // Asynchronously: the demo backend and its redis-server handlers live in this process, and a synchronous
    // exec would block them — every status run of the soak then waited out its deadline on an unanswered backend.
    const child = execFileAsync(process.execPath, ['--expose-gc', '-e', SOAK, backend.url, redis.url, DEMO_SERVICE_ACCOUNT.email, DEMO_SERVICE_ACCOUNT.password, String(runs)], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      timeout: 30 * 60 * 1000,
    });
    child.child.stderr?.pipe(process.stderr);
    marks = JSON.parse((await child).stdout) as Record<string, number>;
  } finally {
    await backend.stop();
    await redis.stop();
  }
  const at1k = marks['1000'] ?? NaN;
  const atN = marks[String(runs)] ?? NaN;
  const growth = Math.round((100 * (atN - at1k)) / at1k);
  const idle = Math.max(consoleMb, httpMb);
  return {
    name: 'rss',
    ours: { medianMs: Math.round((Date.now() - t0) / runs), extra: { consoleIdleMB: consoleMb, httpIdleMB: httpMb, rssAt1000MB: at1k, [`rssAt${runs}MB`]: atN, growthPct: growth, okRuns: marks.ok ?? 0 } },
    baseline: { medianMs: 0, command: `bare node idle: ${bare} MB` },
    ratio: Math.round((100 * idle) / bare) / 100,
    target: `idle ≤ 100 MB in console and HTTP mode; RSS after ${runs} runs within 10 % of after 1,000 (≥ 99 % of the runs healthy)`,
    pass: idle <= 100 && growth <= 10 && (marks.ok ?? 0) >= runs * 0.99,
  };
}
