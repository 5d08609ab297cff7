/** Preview helpers for actions on a few named keys of the cache DB (counters, conversation locks). */
import type Redis from 'ioredis';
import { redact } from '../telemetry/redact';
import { formatDuration } from './format';
import { sha1 } from './digest';
import type { PreviewItem } from './types';

export interface KeyState {
  key: string;
  exists: boolean;
  /** Value as stored (strings only; counters are raw ints in Django's serializer). */
  value?: string;
  ttlMs?: number;
}

export async function readKeys(client: Redis, keys: readonly string[]): Promise<KeyState[]> {
  const pipe = client.multi();
  for (const k of keys) pipe.get(k).pttl(k);
  const res = (await pipe.exec()) ?? [];
  return keys.map((key, i) => {
    const v = res[i * 2]?.[1] as string | null | undefined;
    const ttl = res[i * 2 + 1]?.[1] as number | undefined;
    return v === null || v === undefined ? { key, exists: false } : { key, exists: true, value: v, ...(ttl !== undefined && ttl >= 0 ? { ttlMs: ttl } : {}) };
  });
}

export function keyItem(db: number, s: KeyState, showValue: boolean): PreviewItem {
  if (!s.exists) return { kind: 'key', label: `db ${db} · ${redact(s.key)}`, detail: 'absent' };
  const value = showValue ? `value ${redact(String(s.value).slice(0, 40))}` : `value sha1 ${sha1(s.value ?? '').slice(0, 8)}`;
  const ttl = s.ttlMs === undefined ? 'no TTL' : `TTL ${formatDuration(s.ttlMs)}`;
  return { kind: 'key', label: `db ${db} · ${redact(s.key)}`, detail: `${value}, ${ttl}` };
}

/** Identity of a key for drift: its name and a hash of its value (a different holder or count = drift). */
export function keyTouch(db: number, s: KeyState): string {
  return `key:db${db}:${s.key}=${s.exists ? sha1(s.value ?? '') : 'absent'}`;
}
