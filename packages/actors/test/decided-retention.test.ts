import { DecidedRetention } from '@omnipaxos/actors/internal';
import { describe, expect, it } from 'vitest';

const item = (idx: number, entry: string): { idx: number; entry: string } => ({ idx, entry });

describe('DecidedRetention', () => {
  it('keeps at most maxItems of the latest items', () => {
    const r = new DecidedRetention<{ idx: number; entry: string }>(3, Infinity);
    for (let i = 0; i < 5000; i++) r.push(item(i, 'v'));
    expect(r.list().map((x) => x.idx)).toEqual([4997, 4998, 4999]);
  });

  it('keeps at most maxBytes of entries, dropping the oldest, and never an entry larger than the bound', () => {
    const r = new DecidedRetention<{ idx: number; entry: string }>(Infinity, 10_000, (e) => e.length);
    for (let i = 0; i < 100; i++) {
      r.push(item(i, 'x'.repeat(3000)));
      expect(r.heldBytes).toBeLessThanOrEqual(10_000);
    }
    expect(r.list().map((x) => x.idx)).toEqual([97, 98, 99]);
    r.push(item(100, 'y'.repeat(20_000)));
    expect(r.list()).toEqual([]);
    expect(r.heldBytes).toBe(0);
  });

  it('keeps nothing with a zero bound', () => {
    const r = new DecidedRetention<{ idx: number; entry: string }>(0, Infinity);
    r.push(item(0, 'a'));
    expect(r.list()).toEqual([]);
  });
});
