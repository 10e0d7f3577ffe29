import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sourceFiles lists the .ts files under `root`, recursively. */
export function sourceFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(root, e.name)) : e.name.endsWith('.ts') ? [join(root, e.name)] : [],
  );
}

/** importGraph maps each file to the files it imports relatively (type-only imports included). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].map((m) => resolve(dirname(f), `${m[1]}.ts`));
    graph.set(f, deps);
  }
  return graph;
}

/** findCycles returns every import cycle found by a depth-first walk, each as a list of files. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}

// `tsx packages/actors/scripts/import-cycles.ts` prints the cycles of packages/actors/src (exit 1 if any).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../src', import.meta.url));
  const cycles = findCycles(importGraph(sourceFiles(root)));
  for (const c of cycles) console.log(c.map((f) => relative(root, f)).join(' -> '));
  console.log(`${cycles.length} import cycle(s) in packages/actors/src`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
