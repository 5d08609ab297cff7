/**
 * Core of `ws-doctor logs [service] [--since 10m] [--grep PATTERN]`: the last lines of one compose service's
 * log, redacted, optionally filtered. The CLI, console and Slack adapters call `fetchLogs` and render.
 *
 * The filter runs on the *redacted* text, so `--grep` cannot be used to guess a secret one character at a time.
 */
import { StringDecoder } from 'node:string_decoder';
import { redact } from '../telemetry/redact';
import { printable } from '../util/printable';
import { compileUserPattern, type LineTest } from '../util/user-regex';
import { DockerUnavailableError, type DockerTarget } from '../targets/docker';

export interface FetchLogsOptions {
  /** Compose service (default `web`). */
  service?: string;
  /** Window: lines of the last N seconds (default: the whole log, bounded by `maxScanLines`). */
  sinceSeconds?: number;
  /** Regular expression, RE2 syntax (falls back to a plain substring when it does not compile). */
  grep?: string;
  /** Lines returned, the most recent ones (default 50). */
  tail?: number;
  /** With --grep: most recent lines read to look for matches (default 100 000). */
  maxScanLines?: number;
  /** Keep the engine's timestamp in front of each line. */
  timestamps?: boolean;
  signal?: AbortSignal;
  /** Bound on the log read (default: 15 s, or the target's timeout if longer); the container lookup uses the target's. */
  timeoutMs?: number;
}

export interface FetchLogsResult {
  /** Redacted lines, oldest first. */
  lines: string[];
  /** More lines matched than were returned (or the scan limit was reached). */
  truncated: boolean;
  /** Container the lines come from. */
  container: string;
  /** Lines that matched before the tail was applied. */
  matched: number;
  /** Lines read from the engine. */
  scanned: number;
}

export const DEFAULT_TAIL = 50;
const MAX_LINE_CHARS = 2000;

/** The --grep filter: RE2 (linear time, see util/user-regex.ts), or a plain substring when it does not compile. */
export function matcher(grep: string | undefined): LineTest | undefined {
  if (grep === undefined || grep === '') return undefined;
  const re = compileUserPattern(grep);
  return re.ok ? re.test : (l) => l.includes(grep);
}

export async function fetchLogs(target: DockerTarget, opts: FetchLogsOptions = {}): Promise<FetchLogsResult> {
  const service = opts.service ?? 'web';
  const tail = Math.max(1, opts.tail ?? DEFAULT_TAIL);
  const match = matcher(opts.grep);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const containers = await target.serviceContainers(service, signal);
  const c = containers[0];
  if (!c) {
    throw new DockerUnavailableError(
      'not-found',
      `no container of service "${service}" in compose project "${target.project}"`,
      `start it (\`docker compose up -d ${service}\`) or check docker.project`,
    );
  }
  // Without a filter, one line more than wanted tells whether there were more.
  const engineTail = match ? (opts.maxScanLines ?? 100_000) : tail + 1;
  const ring: string[] = [];
  let matched = 0;
  let scanned = 0;
  const streams = new Map<number, { dec: StringDecoder; carry: string }>();
  const onLine = (raw: string): void => {
    scanned++;
    let line = redact(printable(raw.endsWith('\r') ? raw.slice(0, -1) : raw));
    if (match && !match(line)) return;
    matched++;
    if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS - 1)}…`;
    ring.push(line);
    if (ring.length > tail) ring.shift();
  };
  await target.streamLogs(
    c,
    {
      tail: engineTail,
      ...(opts.sinceSeconds !== undefined ? { since: Date.now() / 1000 - opts.sinceSeconds } : {}),
      ...(opts.timestamps ? { timestamps: true } : {}),
      ...signal,
      timeoutMs: opts.timeoutMs ?? Math.max(target.timeoutMs, 15000),
      batchMs: 0,
    },
    (stream, buf, s, e) => {
      let st = streams.get(stream);
      if (!st) streams.set(stream, (st = { dec: new StringDecoder('utf8'), carry: '' }));
      const text = st.carry + st.dec.write(buf.subarray(s, e));
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        onLine(text.slice(from, nl));
        from = nl + 1;
      }
      st.carry = text.slice(from);
    },
  );
  for (const st of streams.values()) {
    const rest = st.carry + st.dec.end();
    if (rest) onLine(rest);
  }
  return {
    lines: ring,
    truncated: matched > ring.length || (match !== undefined && scanned >= engineTail),
    container: c.name,
    matched,
    scanned,
  };
}
