import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, sourceFiles } from '../scripts/import-cycles.js';

const root = fileURLToPath(new URL('../src', import.meta.url));

describe('package layout', () => {
  it('has no import cycle between source files (type-only imports included)', () => {
    const graph = importGraph(sourceFiles(root));
    expect(graph.size).toBeGreaterThan(20);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(root, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('keeps the public index free of the internal entry', () => {
    const graph = importGraph(sourceFiles(root));
    const index = [...graph.entries()].find(([f]) => relative(root, f) === 'index.ts')?.[1] ?? [];
    expect(index.map((f) => relative(root, f))).not.toContain('internal.ts');
  });

  it('detects a cycle when there is one', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']]);
  });
});
