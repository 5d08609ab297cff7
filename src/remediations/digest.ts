/** The digest an approval is bound to: what a preview would touch, order-independent, hashed. */
import { createHash } from 'node:crypto';

export function touchDigest(touches: readonly string[]): string {
  return createHash('sha256').update([...touches].sort().join('\n')).digest('hex').slice(0, 32);
}

/** What changed between the approved preview and the one computed at execution time. */
export function touchDiff(before: readonly string[], after: readonly string[]): { gone: string[]; added: string[] } {
  const a = new Set(before);
  const b = new Set(after);
  return { gone: before.filter((t) => !b.has(t)), added: after.filter((t) => !a.has(t)) };
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
