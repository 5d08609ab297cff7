/** The README's button table, generated from the registry (`npm run docs`). */
import { actions } from './registry';

export function actionsReference(): string {
  const rows = actions.map((a) => `| \`${a.id}\` | ${a.effect} | ${a.summary} | ${a.mayPress ? 'policy in its file' : 'anyone who sees it'} |`);
  return ['| action | effect | what it does | who may press |', '|---|---|---|---|', ...rows].join('\n');
}
