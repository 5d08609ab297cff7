/**
 * Generates the README's configuration reference from the zod schema, so documentation and code cannot drift
 * (`npm run docs` writes it into README.md; the unit test fails when the README is stale).
 */
import { z } from 'zod';
import { configSchema, environmentSchema } from './schema';

interface Row {
  key: string;
  type: string;
  def: string;
  description: string;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  format?: string;
  anyOf?: JsonSchema[];
};

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  if (s.format === 'uri') return 'url';
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function walk(s: JsonSchema, prefix: string, rows: Row[]): void {
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child.type === 'object' && child.properties && Object.keys(child.properties).length) {
      walk(child, key, rows);
      continue;
    }
    rows.push({
      key,
      type: typeOf(child),
      def: child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``,
      description: (child.description ?? '').replace(/\|/g, '\\|'),
    });
  }
}

export function configReference(): string {
  const top = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const env = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const topRows: Row[] = [];
  walk({ properties: Object.fromEntries(Object.entries(top.properties ?? {}).filter(([k]) => k !== 'environments')) }, '', topRows);
  const envRows: Row[] = [];
  walk(env, 'environments.<name>', envRows);
  const table = (rows: Row[]): string =>
    ['| key | type | default | description |', '|---|---|---|---|', ...rows.map((r) => `| \`${r.key}\` | ${r.type} | ${r.def} | ${r.description} |`)].join('\n');
  return `${table(topRows)}\n\nPer environment (\`environments.<name>\`; an empty entry is the AllThrive local-compose stack):\n\n${table(envRows)}`;
}
