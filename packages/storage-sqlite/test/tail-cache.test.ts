import { MemoryStorage, Prng } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './temp-dir.js';

const dir = tempDir('tail-cache');
afterAll(() => dir.remove());

describe('SqliteStorage keeps its latest entries in memory for reads', () => {
  it('reads the same as a MemoryStorage and as the file itself through appends, truncations and trims', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const prng = new Prng(seed);
      const path = dir.file(`db-${seed}.sqlite`);
      const s = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
      const m = new MemoryStorage<string>();
      let next = 0;
      for (let step = 0; step < 300; step++) {
        const r = prng.next();
        const end = m.getCompactedIdx() + m.getLogLen();
        if (r < 0.6) {
          const batch = Array.from({ length: prng.range(1, 700) }, () => `e${next++}`);
          s.appendEntries(batch);
          m.appendEntries(batch);
        } else if (r < 0.8 && end > 0) {
          const from = prng.range(m.getCompactedIdx(), end);
          const batch = Array.from({ length: prng.range(0, 50) }, () => `p${next++}`);
          s.appendOnPrefix(from, batch);
          m.appendOnPrefix(from, batch);
        } else if (r < 0.9 && end > 0) {
          const idx = prng.range(m.getCompactedIdx(), end + 1);
          s.trim(idx);
          m.trim(idx);
          s.setCompactedIdx(idx);
          m.setCompactedIdx(idx);
        } else {
          s.flushSync();
        }
        const e = m.getCompactedIdx() + m.getLogLen();
        const a = prng.range(0, e + 1);
        const b = prng.range(a, e + 2);
        expect(s.getEntries(a, b), `seed ${seed} step ${step}: [${a}, ${b})`).toEqual(m.getEntries(a, b));
      }
      s.close();
      const again = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
      const e = m.getCompactedIdx() + m.getLogLen();
      expect(again.getEntries(0, e), `seed ${seed}: after reopening`).toEqual(m.getEntries(0, e));
      again.close();
    }
  });

  it('forgets the entries of a write that failed', () => {
    const failing = { encode: (x: string) => { if (x === 'bad') throw new Error('cannot encode'); return Buffer.from(x); }, decode: (b: Uint8Array) => Buffer.from(b).toString() };
    const s = SqliteStorage.open<string>({ path: dir.file('fail.sqlite'), clusterId: 'c', pid: 1, codec: failing });
    s.appendEntries(['a', 'b']);
    expect(() => s.appendEntries(['c', 'bad'])).toThrow();
    expect(s.getEntries(0, 10)).toEqual(['a', 'b']);
    // An atomic batch whose second write fails after its first one was applied.
    expect(() => s.writeAtomically([{ op: 'AppendEntries', entries: ['c'] }, { op: 'AppendEntries', entries: ['bad'] }])).toThrow();
    expect(s.getEntries(0, 10)).toEqual(['a', 'b']);
    s.appendEntries(['d']);
    expect(s.getEntries(0, 10)).toEqual(['a', 'b', 'd']);
    s.close();
  });
});
