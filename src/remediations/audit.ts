/**
 * The remediation audit log: every step (requested, previewed, approved, denied, expired, refused, executing,
 * executed, verified, interrupted) with who, when and what, appended to the state store's `audit` log and never
 * rewritten. Tamper-evident: each record carries the hash of the previous one and its own hash over both, so
 * editing, removing or reordering any record breaks the chain from there on (`ws-doctor audit verify`); the
 * head (last seq + hash) is also kept under its own key, so cutting records off the end shows too.
 *
 * Appends are serialised across processes with a short store lease (`audit:writer`), so two bot replicas never
 * chain two records onto the same predecessor.
 */
import { createHash } from 'node:crypto';
import type { Lease, StateStore } from '../state/store';
import { redactDeep } from '../telemetry/redact';

export type AuditStep =
  | 'requested'
  | 'previewed'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'refused'
  | 'drifted'
  | 'executing'
  | 'executed'
  | 'verified'
  | 'interrupted'
  | 'dry-run';

export interface AuditEntry {
  step: AuditStep;
  /** Request id (`r-…`). */
  request: string;
  env: string;
  action: string;
  /** Who did it (`U123`, `local:ana`), or `ws-doctor` for the bot's own steps (expiry, recovery). */
  actor: string;
  actorName?: string;
  /** What: the preview digest, the refusal reason, the execution summary, … (redacted before writing). */
  detail: Record<string, string | number | boolean | string[] | undefined>;
}

export interface AuditRecord extends AuditEntry {
  /** ISO time of the step. */
  at: string;
  prevHash: string;
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  headHash: string;
  /** First record that does not verify, and why. */
  broken?: { seq: number; reason: string };
}

const LOG = 'audit';
const HEAD = 'audit:head';
const GENESIS = '0'.repeat(64);

/** Canonical JSON (sorted keys) so a hash does not depend on property order. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonical(r)).digest('hex');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: StateStore,
    private readonly holder: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Append one step; resolves with the stored record. Serialised in-process and, by lease, across processes. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const run = this.queue.then(() => this.appendNow(entry));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(entry: AuditEntry): Promise<AuditRecord> {
    const lease = await this.writerLease();
    try {
      const [last] = await this.store.range<AuditRecord>(LOG, { newestFirst: true, limit: 1 });
      const body: Omit<AuditRecord, 'hash'> = {
        ...redactDeep(entry),
        at: new Date(this.now()).toISOString(),
        prevHash: last?.value.hash ?? GENESIS,
      };
      const record: AuditRecord = { ...body, hash: recordHash(body) };
      const seq = await this.store.append(LOG, record);
      await this.store.put(HEAD, { seq, hash: record.hash });
      return record;
    } finally {
      await this.store.releaseLease(lease).catch(() => undefined);
    }
  }

  private async writerLease(): Promise<Lease> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const lease = await this.store.acquireLease('audit:writer', this.holder, 5000);
      if (lease) return lease;
      if (Date.now() > deadline) throw new Error('audit log busy: another writer held it for 5 s');
      await sleep(5 + Math.random() * 20);
    }
  }

  /** Newest `n` records, newest first. */
  async tail(n: number): Promise<Array<AuditRecord & { seq: number }>> {
    const rows = await this.store.range<AuditRecord>(LOG, { newestFirst: true, limit: n });
    return rows.map((r) => ({ ...r.value, seq: r.seq }));
  }

  /** Every record, oldest first, page by page. */
  async *all(): AsyncGenerator<AuditRecord & { seq: number }> {
    let from = 1;
    for (;;) {
      const page = await this.store.range<AuditRecord>(LOG, { fromSeq: from, limit: 1000 });
      for (const r of page) yield { ...r.value, seq: r.seq };
      const last = page[page.length - 1];
      if (!last || page.length < 1000) return;
      from = last.seq + 1;
    }
  }

  /** Walk the whole chain: sequence without gaps, each prevHash the previous hash, each hash recomputed, head matching. */
  async verify(): Promise<VerifyResult> {
    let prev = GENESIS;
    let expectSeq: number | undefined;
    let n = 0;
    for await (const r of this.all()) {
      const { seq, hash, ...rest } = r;
      if (expectSeq !== undefined && seq !== expectSeq) return { ok: false, records: n, headHash: prev, broken: { seq, reason: `record ${expectSeq} is missing` } };
      if (r.prevHash !== prev) return { ok: false, records: n, headHash: prev, broken: { seq, reason: 'its previous-hash does not match the record before it (removed or reordered)' } };
      if (recordHash(rest) !== hash) return { ok: false, records: n, headHash: prev, broken: { seq, reason: 'its content does not match its hash (edited)' } };
      prev = hash;
      expectSeq = seq + 1;
      n++;
    }
    const head = await this.store.get<{ seq: number; hash: string }>(HEAD);
    if (head && head.value.hash !== prev) {
      return { ok: false, records: n, headHash: prev, broken: { seq: head.value.seq, reason: `the log ends before the recorded head (seq ${head.value.seq}): records were cut off the end` } };
    }
    return { ok: true, records: n, headHash: prev };
  }
}
