/**
 * What a `ws-doctor status` and a running bot say over the bot's local socket: one JSON line each way.
 *
 *   CLI → bot   {"v":1,"cmd":"status","env":"local","json":false,"out":{"isTTY":true,"columns":120},"term":{…}}
 *   bot → CLI   {"v":1,"accepted":true,"deadlineMs":5000}      at once: the bot's event loop is alive, and how
 *                                                              long its run may take
 *               {"v":1,"exit":0,"out":"✅ local: Healthy …"}    when the fresh run is done
 *          or   {"v":1,"declined":"why"}                       the CLI then runs the command itself
 *
 * The bot renders for the CLI's terminal (colour, width) so the text is what the CLI would have printed.
 */
import type { TerminalOut } from '../console/terminal';

export interface StatusAsk {
  v: number;
  cmd: 'status';
  /** Absent: the config's defaultEnv (the bot reads the same config). */
  env?: string;
  json: boolean;
  out: TerminalOut;
  /** NO_COLOR and TERM as the CLI sees them. */
  term: { NO_COLOR?: string; TERM?: string };
}

export type BotAnswer = { v: number; accepted: true; deadlineMs: number } | { v: number; exit: number; out: string } | { v: number; declined: string };

/** One line as a JSON object of this protocol's version, or undefined for anything else (garbage, another version). */
export function messageOf(line: string, version: number): Record<string, unknown> | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!a || typeof a !== 'object' || Array.isArray(a)) return undefined;
  const x = a as Record<string, unknown>;
  return x.v === version ? x : undefined;
}

/** Longest request line the bot reads; a longer one is refused (it is nobody's status request). */
export const MAX_ASK_BYTES = 4096;
/** Longest answer line the CLI reads (a JSON report of every check is ~50 KB). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Collects one newline-terminated line from chunks, bounded: `push` returns the line once it is complete, or
 * throws when it grows past `max` bytes without one.
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private lines: string[] = [];

  constructor(private readonly max: number) {}

  /** Feeds a chunk; returns the complete lines so far (each once). */
  push(chunk: Buffer): string[] {
    let rest = chunk;
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      if (this.size + nl > this.max) throw new Error(`a line longer than ${this.max} bytes`);
      this.chunks.push(rest.subarray(0, nl));
      this.lines.push(Buffer.concat(this.chunks).toString('utf8'));
      this.chunks = [];
      this.size = 0;
      rest = rest.subarray(nl + 1);
    }
    if (rest.length) {
      this.size += rest.length;
      if (this.size > this.max) throw new Error(`a line longer than ${this.max} bytes`);
      this.chunks.push(rest);
    }
    const out = this.lines;
    this.lines = [];
    return out;
  }
}
