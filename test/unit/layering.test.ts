/**
 * The rooms of ARCHITECTURE.md, enforced: reads every import (static, `export … from`, dynamic `import()`) of
 * every file under src/ with TypeScript's own pre-processor and fails naming the file and the import that
 * crosses a wall. Rooms that do not exist yet (alerts/, remediations/, scheduler/) are covered the moment a file
 * appears in them.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '../../src');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** `slack/bot.ts` → `slack`; `main.ts` → `main.ts` (top-level files are their own room). */
const roomOf = (rel: string): string => (rel.includes('/') ? (rel.split('/')[0] ?? rel) : rel);

interface Edge {
  from: string;
  to: string;
}

function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of filesUnder(SRC)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      if (!imp.fileName.startsWith('.')) continue; // packages are not rooms
      const target = path.resolve(path.dirname(file), imp.fileName);
      const resolved = [`${target}.ts`, path.join(target, 'index.ts'), target].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
      if (!resolved) throw new Error(`${path.relative(SRC, file)} imports ${imp.fileName}, which does not resolve`);
      edges.push({ from: path.relative(SRC, file), to: path.relative(SRC, resolved) });
    }
  }
  return edges;
}

const edges = importGraph();
const crossing = (fromRooms: readonly string[], forbidden: readonly string[]): string[] =>
  edges.filter((e) => fromRooms.includes(roomOf(e.from)) && forbidden.includes(roomOf(e.to))).map((e) => `${e.from} → ${e.to}`);

const CORE_ROOMS = ['core', 'checks', 'diagnosis', 'state', 'alerts', 'remediations', 'scheduler', 'logs', 'targets', 'config', 'telemetry', 'util'];
const ADAPTERS = ['chat', 'slack', 'console'];
// cli-lazy.ts is cli.ts's own list of what its commands load on demand (split off so the bin's shell stays small).
const COMPOSITION_ROOTS = ['main.ts', 'cli.ts', 'cli-lazy.ts', 'demo-launch.ts', 'docs.ts'];

describe('import layering (ARCHITECTURE.md rooms)', () => {
  it('reads a real graph (the test would pass vacuously otherwise)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'slack/bot.ts', to: 'chat/dispatch.ts' });
  });

  it('the core rooms never import chat/, slack/ or console/', () => {
    expect(crossing(CORE_ROOMS, ADAPTERS)).toEqual([]);
  });

  it('slack/ and console/ never import each other', () => {
    expect([...crossing(['slack'], ['console']), ...crossing(['console'], ['slack'])]).toEqual([]);
  });

  it('chat/ is rendering-neutral: it imports neither adapter', () => {
    expect(crossing(['chat'], ['slack', 'console'])).toEqual([]);
  });

  it('targets/ knows nothing of its consumers', () => {
    const allowed = ['targets', 'config', 'telemetry', 'util'];
    expect(edges.filter((e) => roomOf(e.from) === 'targets' && !allowed.includes(roomOf(e.to))).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('the demo target knows nothing of the bot (its launcher is a composition root)', () => {
    // targets/ are protocol clients that know nothing of their consumers; the demo may speak a protocol with them.
    const allowed = ['demo', 'config', 'util', 'targets', 'telemetry'];
    expect(edges.filter((e) => roomOf(e.from) === 'demo' && !allowed.includes(roomOf(e.to))).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('nothing imports a composition root except another composition root', () => {
    expect(edges.filter((e) => COMPOSITION_ROOTS.includes(e.to) && !COMPOSITION_ROOTS.includes(e.from)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('no import cycles between files', () => {
    const out = new Map<string, string[]>();
    for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (n: string): void => {
      state.set(n, 'open');
      stack.push(n);
      for (const m of out.get(n) ?? []) {
        if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
        else if (!state.has(m)) visit(m);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of out.keys()) if (!state.has(n)) visit(n);
    expect(cycles).toEqual([]);
  });
});
