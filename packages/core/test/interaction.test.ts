import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScript } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';

// Data-driven interaction tests (etcd raft style): each testdata/*.txt script is a list of commands,
// each followed by `----` and its expected output. `UPDATE=1 pnpm test` rewrites the outputs.
const dir = fileURLToPath(new URL('./testdata/', import.meta.url));
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('interaction scripts (testdata/*.txt)', () => {
  it('finds scripts to run', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  for (const file of scripts) {
    it(`replays ${file}`, () => {
      const path = `${dir}${file}`;
      const text = readFileSync(path, 'utf8');
      const { rewritten } = runScript(text);
      if (process.env.UPDATE) {
        if (rewritten !== text) writeFileSync(path, rewritten);
        return;
      }
      expect(rewritten).toBe(text);
    });
  }
});
