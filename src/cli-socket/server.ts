/**
 * The running bot's side of `ws-doctor status` over a local socket (client.ts says why): a Unix socket in this
 * user's private folder, named by the config fingerprint, answering fresh status runs rendered for the asking
 * terminal. Read-only — status is all it runs — and bounded: one request line of at most 4 KB within 2 s,
 * at most MAX_CONCURRENT runs at once; anything else is declined and the CLI runs the command itself.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DoctorApi } from '../core/api';
import { EXIT } from '../diagnosis/exit-codes';
import { statusMessage } from '../chat/status-message';
import { renderForStream } from '../console/render';
import { metrics } from '../telemetry/metrics';
import { locateSocket, PROTOCOL } from './fingerprint';
import { LineReader, MAX_ASK_BYTES, messageOf, type BotAnswer, type StatusAsk } from './protocol';

const ASK_TIMEOUT_MS = 2000;
const MAX_CONCURRENT = 8;
const MAX_SWEPT = 200;
const YOUNG_MS = 5000;

export interface StatusSocketOptions {
  doctor: Pick<DoctorApi, 'status' | 'envNames' | 'defaultEnv'>;
  /** The config file the bot was started with (undefined: $WS_DOCTOR_CONFIG or the built-in defaults). */
  configPath: string | undefined;
  /** An environment's run deadline (`checks.deadlineMs`), told to the CLI so it knows how long to wait. */
  deadlineMs: (env: string) => number;
  log: { info(m: string): void; warn(m: string): void };
  environ?: NodeJS.ProcessEnv;
}

export class StatusSocketServer {
  private server: net.Server | undefined;
  private path: string | undefined;
  private ino: number | undefined;
  private readonly open = new Set<net.Socket>();
  private running = 0;

  constructor(private readonly o: StatusSocketOptions) {}

  /** Starts serving; returns the socket's path, or undefined when it does not serve (and why is logged). */
  async start(): Promise<string | undefined> {
    const place = locateSocket(this.o.configPath, this.o.environ ?? process.env, { create: true });
    if (!place.ok) {
      this.o.log.warn(`CLI socket: ${place.why}; \`ws-doctor status\` runs on its own`);
      return undefined;
    }
    const { dir, file } = place;
    const mine = fs.existsSync(file) ? await listener(file) : 'none';
    if (mine === 'live') {
      this.o.log.info(`CLI socket: another bot with this config already answers on ${file}`);
      return undefined;
    }
    if (mine === 'dead') fs.rmSync(file, { force: true }); // left by a bot with this config that was killed
    await sweepDead(dir);
    const server = net.createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      this.o.log.warn(`CLI socket: cannot listen on ${file} (${err.code ?? err.message}); \`ws-doctor status\` runs on its own`);
      return undefined;
    });
    if (!server.listening) return undefined;
    fs.chmodSync(file, 0o600);
    this.server = server;
    this.path = file;
    this.ino = fs.statSync(file).ino;
    return file;
  }

  /** Stops taking requests; runs still going are cut (their CLIs run the command themselves). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.open) s.destroy();
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Only our own: a bot started since may have taken the name over.
    try {
      if (this.path && fs.statSync(this.path).ino === this.ino) fs.rmSync(this.path, { force: true });
    } catch {
      // already gone
    }
  }

  private serve(sock: net.Socket): void {
    this.open.add(sock);
    const lines = new LineReader(MAX_ASK_BYTES);
    const timer = setTimeout(() => sock.destroy(), ASK_TIMEOUT_MS);
    sock.on('close', () => (clearTimeout(timer), this.open.delete(sock)));
    sock.on('error', () => sock.destroy());
    let asked = false;
    sock.on('data', (chunk: Buffer) => {
      if (asked) return;
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch {
        return void sock.destroy();
      }
      const line = got[0];
      if (line === undefined) return;
      asked = true;
      clearTimeout(timer);
      void this.answer(sock, line);
    });
  }

  private async answer(sock: net.Socket, line: string): Promise<void> {
    const send = (a: BotAnswer): boolean => {
      if ('declined' in a) metrics.cliSocketAsks.inc({ outcome: 'declined' });
      if ('exit' in a) metrics.cliSocketAsks.inc({ outcome: sock.destroyed ? 'cut' : 'answered' });
      return !sock.destroyed && sock.write(`${JSON.stringify(a)}\n`);
    };
    const ask = parseAsk(line);
    if (!ask) return void (send({ v: PROTOCOL, declined: 'not a status request of this version' }), sock.end());
    const env = ask.env ?? this.o.doctor.defaultEnv;
    if (!this.o.doctor.envNames().includes(env)) return void (send({ v: PROTOCOL, declined: `no environment ${env}` }), sock.end());
    if (this.running >= MAX_CONCURRENT) return void (send({ v: PROTOCOL, declined: 'busy' }), sock.end());
    this.running++;
    try {
      send({ v: PROTOCOL, accepted: true, deadlineMs: this.o.deadlineMs(env) });
      const report = await this.o.doctor.status(env);
      const out = ask.json ? JSON.stringify(report, null, 2) : renderForStream(statusMessage(report), ask.out, 'ws-doctor', ask.term);
      send({ v: PROTOCOL, exit: EXIT[report.verdict.overall], out });
    } catch {
      send({ v: PROTOCOL, declined: 'the run failed here' }); // the CLI runs it itself and says why
    } finally {
      this.running--;
      sock.end();
    }
  }
}

/**
 * Removes the sockets in `dir` that nobody listens on any more (left by bots of other configs that were killed:
 * a SIGKILL runs no clean-up), so the folder does not fill up with one dead file per config ever run.
 * Only a refused connection counts as dead; at most MAX_SWEPT are looked at per start.
 */
async function sweepDead(dir: string): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.sock')).slice(0, MAX_SWEPT);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (n) => {
      const f = path.join(dir, n);
      // Made in the last seconds: a bot between bind and listen refuses too (for microseconds) — leave it.
      const young = Date.now() - (fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0) < YOUNG_MS;
      if (!young && (await listener(f)) === 'dead') fs.rmSync(f, { force: true });
    }),
  );
}

/**
 * Whether a bot listens on `file`: `live` when it connects, `dead` only when the kernel refuses (nothing listens
 * there: ECONNREFUSED), `unknown` for anything else (a full backlog, no answer within 500 ms) — never removed.
 */
function listener(file: string): Promise<'live' | 'dead' | 'unknown'> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    const t = setTimeout(() => (s.destroy(), resolve('unknown')), 500);
    s.on('connect', () => (clearTimeout(t), s.destroy(), resolve('live')));
    s.on('error', (err: NodeJS.ErrnoException) => (clearTimeout(t), resolve(err.code === 'ECONNREFUSED' ? 'dead' : 'unknown')));
  });
}

function parseAsk(line: string): StatusAsk | undefined {
  const x = messageOf(line, PROTOCOL);
  if (!x || x.cmd !== 'status' || typeof x.json !== 'boolean') return undefined;
  if (x.env !== undefined && (typeof x.env !== 'string' || x.env.length > 100)) return undefined;
  const out = (x.out ?? {}) as Record<string, unknown>;
  const term = (x.term ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 100 ? v : undefined);
  const columns = typeof out.columns === 'number' && Number.isInteger(out.columns) && out.columns > 0 && out.columns <= 1000 ? out.columns : undefined;
  const noColor = str(term.NO_COLOR);
  const termName = str(term.TERM);
  return {
    v: PROTOCOL,
    cmd: 'status',
    ...(typeof x.env === 'string' ? { env: x.env } : {}),
    json: x.json,
    out: { isTTY: out.isTTY === true, ...(columns !== undefined ? { columns } : {}) },
    term: { ...(noColor !== undefined ? { NO_COLOR: noColor } : {}), ...(termName !== undefined ? { TERM: termName } : {}) },
  };
}
