import { describe, expect, it } from 'vitest';
import { drive, startCluster } from './cluster-harness.js';

describe('replica cluster on the router', () => {
  it('elects a leader and decides entries in a 3-node cluster', async () => {
    const c = startCluster<string>([1, 2, 3]);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const all = Promise.all(['a', 'b', 'c'].map((e) => c.replica(leader).append(e)));
    const res = await drive(c, all);
    expect(res.map((r) => r.idx)).toEqual([0, 1, 2]);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 3));
    for (const r of c.replicas.values()) expect(r.getDecided().map((d) => d.entry)).toEqual(['a', 'b', 'c']);
    await c.stop();
  });
});
