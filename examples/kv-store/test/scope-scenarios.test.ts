import { describe, expect, it } from 'vitest';
import { scenarioPlan } from '../src/scope/scenarios.js';

/** connected lists who `p` can still reach once `cuts` are cut both ways. */
const reach = (p: number, pids: number[], cuts: [number, number][]) =>
  pids.filter((q) => q !== p && !cuts.some(([a, b]) => (a === p && b === q) || (a === q && b === p)));
const quorumConnected = (pids: number[], cuts: [number, number][]) => pids.filter((p) => (reach(p, pids, cuts).length + 1) * 2 > pids.length);

describe('the scope builds the three scenarios of the paper around the leader', () => {
  const pids = [1, 2, 3, 4, 5];

  it('quorum loss leaves exactly one quorum-connected replica, not the leader', () => {
    const plan = scenarioPlan('quorum-loss', pids, 3);
    expect(quorumConnected(pids, plan.cuts)).toEqual([1]);
    expect(reach(3, pids, plan.cuts)).toEqual([1]);
  });

  it('constrained election pairs the leader with one follower; only the other three are quorum-connected', () => {
    const plan = scenarioPlan('constrained-election', pids, 2);
    expect(reach(2, pids, plan.cuts)).toEqual([1]);
    expect(reach(1, pids, plan.cuts)).toEqual([2]);
    expect(quorumConnected(pids, plan.cuts)).toEqual([3, 4, 5]);
  });

  it('chained cuts one link of the leader; everyone stays quorum-connected', () => {
    const plan = scenarioPlan('chained', pids, 5);
    expect(plan.cuts).toEqual([[5, 1]]);
    expect(quorumConnected(pids, plan.cuts)).toEqual(pids);
  });

  it('refuses a cluster of another size with a clear message', () => {
    expect(() => scenarioPlan('chained', [1, 2, 3], 1)).toThrow(/exactly 5 replicas.*--nodes 5/);
  });
});
