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

describe('5-node cluster', () => {
  it('forwards a follower append to the leader and resolves it on the follower', async () => {
    const c = startCluster<string>([1, 2, 3, 4, 5]);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const follower = [1, 2, 3, 4, 5].find((p) => p !== leader) as number;
    const first = await drive(c, c.replica(leader).append('from-leader'));
    const second = await drive(c, c.replica(follower).append('from-follower'));
    expect(first.idx).toBe(0);
    expect(second.idx).toBe(1);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 2));
    for (const r of c.replicas.values()) {
      expect(r.getDecided().map((d) => [d.idx, d.entry])).toEqual([
        [0, 'from-leader'],
        [1, 'from-follower'],
      ]);
    }
    await c.stop();
  });

  it('elects the only quorum-connected server after quorum loss and resumes progress', async () => {
    const nodes = [1, 2, 3, 4, 5];
    const c = startCluster<string>(nodes);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    await drive(c, c.replica(leader).append('before'));
    // The paper's quorum-loss scenario: every link goes down except those to one server C.
    const C = nodes.find((p) => p !== leader) as number;
    for (const a of nodes) for (const b of nodes) if (a < b && a !== C && b !== C) c.router.cut(a, b);
    const cLeader = () => c.replica(C).getLeader() === C;
    await c.until(cLeader, 1000, 'C leads');
    const other = nodes.find((p) => p !== leader && p !== C) as number;
    const after = await drive(c, c.replica(other).append('after'), 2000);
    expect(after.idx).toBe(1);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 2));
    await c.stop();
  });
});
