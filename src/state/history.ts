/**
 * Check history: the last results per environment and check. Kept in memory (bounded) and, when a state
 * directory is given, appended to a JSON-lines file there so a restarted bot still knows what it saw.
 * Deliberately not in the watched Redis: the bot must remember while that Redis is down.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../checks/types';

/** One check result as remembered: which environment, when the run started, and the finding. */
export interface HistoryEntry {
  env: string;
  at: string;
  finding: Finding;
}

export interface HistoryOptions {
  /** Entries kept per environment+check. */
  perCheck?: number;
  /** Folder for history.jsonl; undefined = memory only. */
  dir?: string;
}

export class HistoryStore {
  private readonly entries = new Map<string, HistoryEntry[]>();
  private readonly perCheck: number;
  private readonly file: string | undefined;
  private appendedSinceCompact = 0;

  constructor(opts: HistoryOptions = {}) {
    this.perCheck = opts.perCheck ?? 50;
    this.file = opts.dir ? path.join(opts.dir, 'history.jsonl') : undefined;
    if (this.file) this.load(this.file);
  }

  record(env: string, at: string, findings: readonly Finding[]): void {
    const lines: string[] = [];
    for (const finding of findings) {
      const entry: HistoryEntry = { env, at, finding };
      this.push(entry);
      lines.push(JSON.stringify(entry));
    }
    if (!this.file || !lines.length) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.appendFileSync(this.file, lines.join('\n') + '\n');
      this.appendedSinceCompact += lines.length;
      // Rewrite the file from memory now and then so it stays bounded like the memory is.
      if (this.appendedSinceCompact > this.perCheck * 20) this.compact(this.file);
    } catch {
      // History is a convenience: a read-only disk must not stop diagnostics.
    }
  }

  /** Newest first. */
  list(env: string, opts: { check?: string; limit?: number } = {}): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (const [key, list] of this.entries) {
      const [e, c] = key.split('\u0000');
      if (e !== env || (opts.check && c !== opts.check)) continue;
      out.push(...list);
    }
    out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return out.slice(0, opts.limit ?? out.length);
  }

  private push(entry: HistoryEntry): void {
    const key = `${entry.env}\u0000${entry.finding.check}`;
    const list = this.entries.get(key) ?? [];
    list.unshift(entry);
    if (list.length > this.perCheck) list.length = this.perCheck;
    this.entries.set(key, list);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as HistoryEntry;
        if (e && typeof e.env === 'string' && e.finding && typeof e.finding.check === 'string') {
          this.entries.set(`${e.env}\u0000${e.finding.check}`, [e, ...(this.entries.get(`${e.env}\u0000${e.finding.check}`) ?? [])].slice(0, this.perCheck));
        }
      } catch {
        // A torn last line (crash mid-append) is skipped, the rest kept.
      }
    }
  }

  private compact(file: string): void {
    const all = [...this.entries.values()].flat().sort((a, b) => (a.at < b.at ? -1 : 1));
    fs.writeFileSync(`${file}.tmp`, all.map((e) => JSON.stringify(e)).join('\n') + '\n');
    fs.renameSync(`${file}.tmp`, file);
    this.appendedSinceCompact = 0;
  }
}
