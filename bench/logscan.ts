/**
 * Log scan benchmark: our streaming marker scan of a ~100 MB container log through the Engine API, against
 * what a person runs (`podman logs <ctr> | grep -E 'WS_|WebSocket'`, the guide's `docker compose logs web |
 * grep` on this machine), in the same run, on the same container of a real engine (podman's compatible
 * service, as in the tests).
 *
 * Ours runs in a child process so its peak RSS can be read (`process.resourceUsage().maxRSS`); its time is the
 * scan itself, measured in the child (a long-running bot pays no start-up per scan). The child's wall time,
 * start-up included, is reported too.
 *
 * `tsx bench/logscan.ts` runs it alone; with LOGSCAN_CHILD=1 the file is the child (`<socket> <container>`).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { scanContainerLogs } from '../src/logs/scan';
import { DockerTarget } from '../src/targets/docker';
import { startPodman, type PodmanPeer } from '../test/peers/podman';
import { median, type BenchResult } from './types';

const TARGET_BYTES = Number(process.env.LOGSCAN_MB ?? 100) * 1024 * 1024;
const RUNS = Number(process.env.LOGSCAN_RUNS ?? 3);
const RSS_LIMIT_MB = 150;

interface ChildResult {
  ms: number;
  maxRssMb: number;
  lines: number;
  bytes: number;
  markerLines: number;
  reads: number;
}

/** Write ~TARGET_BYTES of realistic log lines: 5 % WS markers among Django/uvicorn noise. */
async function writeLog(file: string): Promise<{ bytes: number; lines: number }> {
  const token = 'Qx7_kP2m-Zr9LwB4tY6uN1sD3fG5hJ8kL0aS2dF4gH6';
  const markers = [
    (i: number) => `INFO 2026-11-26 10:00:00,${pad(i)} [WS_TOKEN_API] Generated connection token for user=user${i % 97}`,
    (i: number) => `INFO 2026-11-26 10:00:00,${pad(i)} [WS_TOKEN] Generated connection token: user=user${i % 97} ttl=60s`,
    (i: number) => `INFO 2026-11-26 10:00:00,${pad(i)} [WS_TOKEN] Successfully consumed connection token: user=user${i % 97} age=0.4s`,
    (i: number) => `INFO:     172.18.0.1:${40000 + (i % 20000)} - "WebSocket /ws/chat/ava-${i}/?connection_token=${token}" [accepted]`,
    (i: number) => `WARNING 2026-11-26 10:00:01,${pad(i)} [WS_TOKEN] Invalid or expired token: Qx7_kP2m...`,
    (i: number) => `INFO 2026-11-26 10:00:01,${pad(i)} WebSocket connected: user=${i % 97}, conversation=ava-${i}`,
  ];
  const noise = [
    (i: number) => `INFO 2026-11-26 10:00:00,${pad(i)} django.server "GET /api/v1/projects/?page=${i % 50} HTTP/1.1" 200 18234 user=${i % 97} duration=12ms`,
    (i: number) => `INFO:     172.18.0.1:${40000 + (i % 20000)} - "POST /api/v1/agents/detect-intent/ HTTP/1.1" 200 OK`,
    (i: number) => `DEBUG 2026-11-26 10:00:00,${pad(i)} core.agents.tasks process_chat_message_task queued conversation=ava-${i} task=${(i * 2654435761) % 4294967296}`,
    (i: number) => `INFO 2026-11-26 10:00:00,${pad(i)} services.weaviate.client search took ${i % 300}ms results=${i % 20}`,
  ];
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let lines = 0;
  let buf: string[] = [];
  let bufLen = 0;
  for (let i = 0; bytes < TARGET_BYTES; i++) {
    const l = (i % 20 === 0 ? markers[(i / 20) % markers.length] : noise[i % noise.length])!(i) + '\n';
    buf.push(l);
    bufLen += l.length;
    bytes += l.length;
    lines++;
    if (bufLen > 1 << 20) {
      if (!out.write(buf.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = [];
      bufLen = 0;
    }
  }
  out.end(buf.join(''));
  await new Promise<void>((r) => out.once('finish', () => r()));
  return { bytes, lines };
}

function pad(i: number): string {
  return String(i % 1000).padStart(3, '0');
}

function sh(cmd: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn('sh', ['-c', cmd], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? 1, stdout }));
  });
}

interface ChildCommand {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  how: string;
}

/**
 * The child runs as the bot does in production: plain `node` on compiled JavaScript (bundled here with the
 * esbuild that tsx ships), so its RSS is not tsx's. Falls back to tsx when esbuild cannot be loaded.
 */
async function childCommand(dir: string): Promise<ChildCommand> {
  const repo = path.join(__dirname, '..');
  const env = { ...process.env, LOGSCAN_CHILD: '1', NODE_PATH: path.join(repo, 'node_modules') };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as { build(o: Record<string, unknown>): Promise<unknown> };
    const outfile = path.join(dir, 'logscan-child.js');
    await esbuild.build({ entryPoints: [__filename], bundle: true, platform: 'node', target: 'node20', outfile, packages: 'external', logLevel: 'silent' });
    return { cmd: process.execPath, args: [outfile], env, how: 'node (bundled)' };
  } catch {
    return { cmd: path.join(repo, 'node_modules', '.bin', 'tsx'), args: [__filename], env, how: 'tsx' };
  }
}

async function runChild(cc: ChildCommand, socket: string, container: string): Promise<ChildResult & { wallMs: number }> {
  const t0 = process.hrtime.bigint();
  const r = await new Promise<string>((resolve, reject) => {
    const c = spawn(cc.cmd, [...cc.args, socket, container], { env: cc.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`scan child exited ${code}: ${out}`))));
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ...(JSON.parse(r.trim().split('\n').pop() ?? '{}') as ChildResult), wallMs };
}

async function child(socket: string, container: string): Promise<void> {
  const target = new DockerTarget({ socketPath: socket, project: 'bench', timeoutMs: 300000 });
  const info = await target.inspect(container);
  const t0 = process.hrtime.bigint();
  const r = await scanContainerLogs(target, { id: info.Id, name: container, tty: info.Config.Tty === true }, { timeoutMs: 300000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await target.close();
  const markerLines = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const res: ChildResult = {
    ms: Math.round(ms),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    lines: r.lines,
    bytes: r.bytes,
    markerLines,
    reads: r.reads,
  };
  process.stdout.write(JSON.stringify(res) + '\n');
}

export async function benchLogScan(): Promise<BenchResult> {
  let peer: PodmanPeer | undefined;
  try {
    peer = await startPodman();
    const data = path.join(peer.dir, 'data');
    await fs.mkdir(data);
    const gen = await writeLog(path.join(data, 'log.txt'));
    const name = 'logscan-web-1';
    await peer.run({
      name,
      network: 'none',
      compose: { project: 'logscan', service: 'web' },
      volumes: [`${data}:/data:ro`],
      cmd: 'cat /data/log.txt',
    });
    const w = await peer.podman(['wait', name], 300000);
    if (w.code !== 0) throw new Error(`podman wait: ${w.stdout}`);
    // The log now lives in the engine; the source file is no longer needed.
    await fs.rm(data, { recursive: true, force: true });

    const cc = await childCommand(peer.dir);
    const baselineCmd = `podman logs ${name} | grep -E 'WS_|WebSocket' | wc -l`;
    const ours: Array<ChildResult & { wallMs: number }> = [];
    const base: number[] = [];
    let grepLines = 0;
    // Warm the page cache once for both sides, then alternate.
    await sh(baselineCmd, peer.env);
    for (let i = 0; i < RUNS; i++) {
      ours.push(await runChild(cc, peer.socketPath, name));
      const b = await sh(baselineCmd, peer.env);
      if (b.code !== 0) throw new Error(`baseline failed (${b.code})`);
      grepLines = Number(b.stdout.trim());
      base.push(b.ms);
    }
    // The same pipeline through the same API service (what `docker logs` is: a client of the engine).
    const remote =
      process.env.LOGSCAN_REMOTE === '0'
        ? undefined
        : await sh(`podman --url unix://${peer.socketPath} logs ${name} | grep -E 'WS_|WebSocket' | wc -l`, peer.env);

    const oursMs = median(ours.map((o) => o.ms));
    const baseMs = median(base);
    const rss = Math.max(...ours.map((o) => o.maxRssMb));
    const ratio = Math.round((oursMs / baseMs) * 100) / 100;
    const last = ours[ours.length - 1] as ChildResult & { wallMs: number };
    return {
      name: 'logscan',
      ours: {
        medianMs: Math.round(oursMs),
        extra: {
          logMB: Math.round(gen.bytes / 1048576),
          lines: last.lines,
          markerLines: last.markerLines,
          grepLines,
          peakRssMB: rss,
          childWallMs: Math.round(median(ours.map((o) => o.wallMs))),
          socketReads: last.reads,
          ...(remote ? { remoteApiBaselineMs: Math.round(remote.ms) } : {}),
        },
      },
      baseline: { medianMs: Math.round(baseMs), command: "podman logs <ctr> | grep -E 'WS_|WebSocket'" },
      ratio,
      target: `ratio ≤ 1.0 and peak RSS ≤ ${RSS_LIMIT_MB} MB`,
      pass: ratio <= 1.0 && rss <= RSS_LIMIT_MB,
    };
  } finally {
    await peer?.cleanup();
  }
}

if (process.env.LOGSCAN_CHILD === '1') {
  const [socket, container] = process.argv.slice(2);
  child(socket ?? '', container ?? '').catch((err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  });
} else if (require.main === module) {
  {
    benchLogScan()
      .then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'))
      .catch((err: unknown) => {
        process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
        process.exit(1);
      });
  }
}
