/**
 * Slack redelivery de-duplication across replicas (slack/dedupe.ts): two Dedupers (two replicas) on one store
 * take a key once between them; the window is the claim's TTL; a store that fails lets the delivery through
 * (fail open, counted) after the in-memory check. The store here is the in-memory StateStore implementation
 * (the contract suite runs it against SQLite and Redis too); the replica processes are in
 * test/integration/replicas.test.ts.
 */
import { Deduper } from '../../src/slack/dedupe';
import { MemoryStateStore } from '../../src/state/memory-store';
import { StateStoreError, type StateStore } from '../../src/state/store';
import { metrics } from '../../src/telemetry/metrics';

const counter = async (c: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> =>
  (await c.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);

describe('Deduper.claim on a shared store', () => {
  it('two replicas: the first claim of a key wins, the other replica sees a duplicate', async () => {
    const store = new MemoryStateStore();
    const a = new Deduper(60000, 100, store);
    const b = new Deduper(60000, 100, store);
    const dup0 = await counter(metrics.slackDuplicates);
    const results = await Promise.all([a.claim('evt:Ev1'), b.claim('evt:Ev1')]);
    expect(results.sort()).toEqual([false, true]);
    expect(await a.claim('evt:Ev1')).toBe(false);
    expect(await b.claim('evt:Ev2')).toBe(true);
    expect((await counter(metrics.slackDuplicates)) - dup0).toBe(2);
  });

  it('the window is the claim TTL: after it, the key is new again on every replica', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore(() => now);
    const a = new Deduper(1000, 100, store);
    const b = new Deduper(1000, 100, store);
    expect(await a.claim('trg:1')).toBe(true);
    expect(await b.claim('trg:1')).toBe(false);
    now += 1001;
    // b's own memory used the real clock; a fresh replica (c) only asks the store.
    const c = new Deduper(1000, 100, store);
    expect(await c.claim('trg:1')).toBe(true);
  });

  it('a repeat on the same replica is answered from memory without asking the store', async () => {
    const store = new MemoryStateStore();
    let asked = 0;
    const counting: StateStore = Object.assign(Object.create(store) as StateStore, {
      cas: (...args: Parameters<StateStore['cas']>) => {
        asked++;
        return store.cas(...args);
      },
    });
    const a = new Deduper(60000, 100, counting);
    expect(await a.claim('cmd:x')).toBe(true);
    expect(await a.claim('cmd:x')).toBe(false);
    expect(asked).toBe(1);
  });

  it('store unreachable: fails open (the delivery runs), counted and logged; memory still drops repeats', async () => {
    const broken = Object.assign(Object.create(new MemoryStateStore()) as StateStore, {
      cas: () => Promise.reject(new StateStoreError('redis (127.0.0.1:1 db 1): connect ECONNREFUSED')),
    });
    const logged: string[] = [];
    const a = new Deduper(60000, 100, broken, (m) => logged.push(m));
    const err0 = await counter(metrics.stateStoreErrors, { op: 'dedupe' });
    expect(await a.claim('evt:Ev9')).toBe(true);
    expect(await a.claim('evt:Ev9')).toBe(false);
    expect((await counter(metrics.stateStoreErrors, { op: 'dedupe' })) - err0).toBe(1);
    expect(logged.join('\n')).toMatch(/evt:Ev9 could not be checked against other replicas .*ECONNREFUSED.*; running it/);
  });

  it('without a store, claim() is the in-memory first()', async () => {
    const a = new Deduper(60000, 100);
    expect(await a.claim('k')).toBe(true);
    expect(await a.claim('k')).toBe(false);
    expect(a.first('k')).toBe(false);
  });
});
