/**
 * Counts the WebSocket markers in a log, streaming. Bytes arrive as line blocks (see lines.ts); each block is
 * read as one latin1 string (byte offsets = string offsets, markers are ASCII), searched once with the
 * precompiled PREFILTER, and only lines that hit are cut out and classified. Noise lines allocate nothing.
 *
 * Lines of the `services.*` loggers are printed twice (their own handler + root, target-system §12): a marker
 * line carrying the app's millisecond timestamp that repeats one of the last few marker lines exactly is
 * counted once.
 */
import { redact } from '../telemetry/redact';
import { printable } from '../util/printable';
import { LineBlocks } from './lines';
import { PREFILTER, classifyLine, emptyCounts, markerKind, type MarkerId, type MarkerKind } from './markers';
import type { OwnTraffic } from './own-traffic';

export interface ScanResult {
  counts: Record<MarkerId, number>;
  /** Lines read (both streams). */
  lines: number;
  /** Payload bytes read. */
  bytes: number;
  /** Marker lines dropped as doubled `services.*` lines. */
  duplicates: number;
  /** A few marker lines, redacted, failures first. */
  evidence: string[];
  /** Marker lines that were the bot's own probe traffic (not counted). */
  ownLines: number;
  /** Redacted text of the last ASGI start line, if any. */
  lastStartLine?: string;
}

export interface ScannerOptions {
  /** How many evidence lines to keep (default 5). */
  evidenceLines?: number;
  /** Longest evidence line (characters, after redaction). */
  evidenceMaxChars?: number;
  /** Called for each marker line (already deduplicated), e.g. to stop early once a start line is seen. */
  onMarker?: (ids: readonly MarkerId[], line: () => string) => void;
  /** The bot's own probe traffic: such lines are not counted (and take their request's earlier lines along). */
  own?: OwnTraffic;
}

/** How many recent counted marker lines a probe line may retract (one request's lines are adjacent). */
const RETRACT_WINDOW = 4;

/** `INFO 2026-11-26 10:00:00,123 …` (optionally after an engine timestamp). */
const APP_TS = /^(?:\S+Z\s+)?(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\s/;
const DEDUP_WINDOW = 8;

export class LogScanner {
  readonly counts = emptyCounts();
  private lines = 0;
  private bytes = 0;
  private duplicates = 0;
  private ownLines = 0;
  private readonly counted: Array<{ ids: MarkerId[]; line: string }> = [];
  private readonly recent: string[] = [];
  private readonly keep: number;
  private readonly maxChars: number;
  private readonly evidenceByKind: Record<MarkerKind, string[]> = { failure: [], start: [], success: [], info: [] };
  private lastStart: string | undefined;
  private readonly streams = new Map<number, LineBlocks>();
  private readonly re = new RegExp(PREFILTER.source, 'g');

  constructor(private readonly opts: ScannerOptions = {}) {
    this.keep = opts.evidenceLines ?? 5;
    this.maxChars = opts.evidenceMaxChars ?? 240;
  }

  /** Raw log bytes of one stream (1 stdout, 2 stderr, 0 for a TTY's single stream). */
  write(stream: number, buf: Buffer, start = 0, end = buf.length): void {
    let lb = this.streams.get(stream);
    if (!lb) {
      lb = new LineBlocks((b, n) => this.scanBlock(b, n));
      this.streams.set(stream, lb);
    }
    this.bytes += end - start;
    lb.push(buf, start, end);
  }

  /** Flush partial lines and return the result. */
  end(): ScanResult {
    for (const lb of this.streams.values()) lb.end();
    return this.result();
  }

  result(): ScanResult {
    const evidence: string[] = [];
    for (const kind of ['failure', 'start', 'success', 'info'] as const) {
      for (const l of this.evidenceByKind[kind]) if (evidence.length < this.keep) evidence.push(this.evidenceText(l));
    }
    return {
      counts: { ...this.counts },
      lines: this.lines,
      bytes: this.bytes,
      duplicates: this.duplicates,
      evidence,
      ownLines: this.ownLines,
      ...(this.lastStart !== undefined ? { lastStartLine: this.evidenceText(this.lastStart) } : {}),
    };
  }

  private scanBlock(block: Buffer, end: number): void {
    const s = block.toString('latin1', 0, end);
    // Count lines.
    let n = 0;
    for (let p = s.indexOf('\n'); p !== -1; p = s.indexOf('\n', p + 1)) n++;
    this.lines += n;
    const re = this.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const at = m.index;
      const ls = s.lastIndexOf('\n', at) + 1;
      let le = s.indexOf('\n', at);
      if (le === -1) le = s.length;
      re.lastIndex = le + 1;
      const line = s.slice(ls, le);
      const ids = classifyLine(line);
      if (ids.length === 0) continue;
      if (APP_TS.test(line)) {
        const i = this.recent.indexOf(line);
        if (i !== -1) {
          this.recent.splice(i, 1);
          this.duplicates++;
          continue;
        }
        this.recent.push(line);
        if (this.recent.length > DEDUP_WINDOW) this.recent.shift();
      }
      const own = this.opts.own;
      if (own?.isOwn(line)) {
        this.ownLines++;
        this.retract(own.retracts(ids));
        continue;
      }
      for (const id of ids) this.counts[id]++;
      this.counted.push({ ids, line });
      if (this.counted.length > RETRACT_WINDOW) this.counted.shift();
      this.noteEvidence(ids, line);
      this.opts.onMarker?.(ids, () => this.evidenceText(line));
    }
  }

  /** Un-count the most recent lines carrying these ids (they belonged to the probe request that just logged). */
  private retract(ids: readonly MarkerId[]): void {
    if (!ids.length) return;
    for (let i = this.counted.length - 1; i >= 0; i--) {
      const e = this.counted[i] as { ids: MarkerId[]; line: string };
      if (!e.ids.some((id) => ids.includes(id))) continue;
      for (const id of e.ids) this.counts[id] = Math.max(0, this.counts[id] - 1);
      this.ownLines++;
      this.counted.splice(i, 1);
      for (const kind of ['failure', 'start', 'success', 'info'] as const) {
        const ring = this.evidenceByKind[kind];
        const at = ring.lastIndexOf(e.line);
        if (at !== -1) ring.splice(at, 1);
      }
    }
  }

  /** `line` is the latin1 view of the line's bytes; it is decoded and redacted only if it is shown. */
  private noteEvidence(ids: readonly MarkerId[], line: string): void {
    let kind: MarkerKind = 'info';
    for (const id of ids) {
      const k = markerKind(id);
      if (k === 'failure') kind = 'failure';
      else if (k === 'start' && kind !== 'failure') kind = 'start';
      else if (k === 'success' && kind === 'info') kind = 'success';
    }
    if (kind === 'start') this.lastStart = line;
    if (this.keep === 0) return;
    const ring = this.evidenceByKind[kind];
    // Keep the most recent lines of each kind.
    ring.push(line);
    if (ring.length > this.keep) ring.shift();
  }

  private evidenceText(latin1Line: string): string {
    const raw = Buffer.from(latin1Line, 'latin1').toString('utf8').replace(/\r$/, '');
    const red = redact(printable(raw));
    return red.length > this.maxChars ? `${red.slice(0, this.maxChars - 1)}…` : red;
  }
}
