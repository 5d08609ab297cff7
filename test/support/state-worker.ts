/**
 * A second process for the state store contract: `node -r tsx/cjs state-worker.ts <spec-json>`. Opens its own
 * store on the same file or Redis and races the test process: `cas-incr` adds 1 to a counter N times through
 * get + compare-and-set (retrying on conflicts), `lease` tries to take a lease and prints what it got.
 */
import { openStore, type StoreSpec } from './state-stores';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as { spec: StoreSpec; op: 'cas-incr' | 'lease'; key: string; n?: number; holder?: string; ttlMs?: number; startAt?: number };
  const store = openStore(job.spec);
  try {
    if (job.op === 'cas-incr') {
      await store.ping();
      await new Promise((r) => setTimeout(r, Math.max(0, (job.startAt ?? 0) - Date.now())));
      let conflicts = 0;
      for (let i = 0; i < (job.n ?? 0); i++) {
        for (;;) {
          const cur = await store.get<number>(job.key);
          if ((await store.cas(job.key, cur?.version ?? 0, (cur?.value ?? 0) + 1)) !== undefined) break;
          conflicts++;
        }
      }
      process.stdout.write(JSON.stringify({ conflicts }) + '\n');
    } else {
      const lease = await store.acquireLease(job.key, job.holder ?? 'worker', job.ttlMs ?? 1000);
      process.stdout.write(JSON.stringify({ lease: lease ?? null }) + '\n');
    }
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
