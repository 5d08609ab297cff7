/** Stable identity of an alert instance: rule name + environment + sorted label set (like Alertmanager's). */
import { createHash } from 'node:crypto';

export function fingerprint(env: string, rule: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0001${labels[k]}`);
  return createHash('sha256').update([env, rule, ...parts].join('\u0000')).digest('hex').slice(0, 16);
}
