/**
 * Dependency order of the AllThrive compose project (target-system §7): web waits for db/redis/minio/weaviate
 * healthy, celery for db/redis/weaviate, celery-beat for celery. A full restart stops dependents first, then
 * restarts the infrastructure and starts the dependents back in order, each tier ready before the next.
 */
const TIERS: ReadonlyArray<readonly string[]> = [['db', 'redis', 'minio', 'weaviate'], ['web'], ['celery'], ['celery-beat', 'frontend']];

/** Tier of a service; unknown services (prometheus, grafana, …) come last. */
export function tierOf(service: string): number {
  const i = TIERS.findIndex((t) => t.includes(service));
  return i < 0 ? TIERS.length : i;
}

/** Services grouped by tier, start order (infrastructure first). */
export function startOrder(services: readonly string[]): string[][] {
  const byTier = new Map<number, string[]>();
  for (const s of [...new Set(services)].sort()) {
    const t = tierOf(s);
    byTier.set(t, [...(byTier.get(t) ?? []), s]);
  }
  return [...byTier.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}
