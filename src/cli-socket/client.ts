/**
 * `ws-doctor status` asks a running bot first: when one with the same config listens on this user's private
 * socket, it runs the checks fresh (its code warm, its connections open) and sends back the text and exit code
 * this command would have printed — the command then never loads the config schema, the checks or their
 * clients. Anything short of a full answer (no bot, another user's folder, a bot that does not accept within
 * ACCEPT_MS, one that goes away or overruns its run's deadline) answers undefined, and the command runs the
 * checks itself as before: the bot is a shortcut, never a dependency.
 */
import net from 'node:net';
import { locateSocket, PROTOCOL } from './fingerprint';
import { LineReader, MAX_ANSWER_BYTES, messageOf, type BotAnswer, type StatusAsk } from './protocol';

/** How long a live bot takes to say "accepted" (its event loop answers within a tick even mid-run). */
export const ACCEPT_MS = 500;
/** Beyond the run deadline the bot states, what its answer may still take (rendering, a loaded machine). */
const ANSWER_GRACE_MS = 3000;

export interface AskOptions {
  configPath?: string;
  env?: string;
  json: boolean;
  out: StatusAsk['out'];
  term: StatusAsk['term'];
  environ?: NodeJS.ProcessEnv;
}

export interface BotReply {
  exit: number;
  out: string;
}

export function askRunningBot(o: AskOptions): Promise<BotReply | undefined> {
  const place = locateSocket(o.configPath, o.environ ?? process.env);
  if (!place.ok) return Promise.resolve(undefined);
  const ask: StatusAsk = { v: PROTOCOL, cmd: 'status', ...(o.env !== undefined ? { env: o.env } : {}), json: o.json, out: o.out, term: o.term };
  return new Promise((resolve) => {
    const sock = net.connect(place.file);
    const lines = new LineReader(MAX_ANSWER_BYTES);
    let timer = setTimeout(() => done(undefined), ACCEPT_MS);
    let settled = false;
    function done(reply: BotReply | undefined): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(reply);
    }
    sock.on('error', () => done(undefined)); // ENOENT, ECONNREFUSED (a socket left by a bot that died)
    sock.on('close', () => done(undefined));
    sock.on('connect', () => sock.write(`${JSON.stringify(ask)}\n`));
    sock.on('data', (chunk: Buffer) => {
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch {
        return done(undefined);
      }
      for (const line of got) {
        const a = parseAnswer(line);
        if (!a || 'declined' in a) return done(undefined);
        if ('accepted' in a) {
          clearTimeout(timer);
          timer = setTimeout(() => done(undefined), a.deadlineMs + ANSWER_GRACE_MS);
          continue;
        }
        return done({ exit: a.exit, out: a.out });
      }
    });
  });
}

function parseAnswer(line: string): BotAnswer | undefined {
  const x = messageOf(line, PROTOCOL);
  if (!x) return undefined;
  if (x.accepted === true && typeof x.deadlineMs === 'number' && x.deadlineMs > 0) return { v: PROTOCOL, accepted: true, deadlineMs: Math.min(x.deadlineMs, 10 * 60 * 1000) };
  if (typeof x.declined === 'string') return { v: PROTOCOL, declined: x.declined };
  if ((x.exit === 0 || x.exit === 1 || x.exit === 2) && typeof x.out === 'string') return { v: PROTOCOL, exit: x.exit as number, out: x.out };
  return undefined;
}
