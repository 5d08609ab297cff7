/** The README's checks table, generated from the registry (`npm run docs`). */
import { allChecks } from './registry';

export function checksReference(): string {
  const rows = allChecks.map((c) => `| \`${c.name}\` | ${c.title}${c.after?.length ? ` (after ${c.after.map((a) => `\`${a}\``).join(', ')})` : ''} | ${c.ref} |`);
  return ['| check | what it asks | reference |', '|---|---|---|', ...rows].join('\n');
}
