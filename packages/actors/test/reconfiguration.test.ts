import { describe, expect, it } from 'vitest';
import { drive, startCluster } from './cluster-harness.js';

describe('reconfiguration handover', () => {
  it('keeps one continuous log on the continuing servers after a decided stop sign', async () => {
    const c = startCluster<string>([1, 2, 3, 4]);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    await drive(c, Promise.all(['a', 'b'].map((e) => c.replica(leader).append(e))));
    const removed = [1, 2, 3, 4].find((p) => p !== leader) as number;
    const next = { configurationId: 2, nodes: [1, 2, 3, 4].filter((p) => p !== removed) };
    const reconfigured: number[] = [];
    for (const r of c.replicas.values()) r.actor.on('omnipaxos.reconfigured', (e) => reconfigured.push(e.pid));
    c.replica(leader).reconfigure(next);
    await c.until(() => reconfigured.length === 3, 1000, 'the continuing servers reconfigured');
    expect(reconfigured.sort()).toEqual(next.nodes);
    // The removed server hands over (serves segments) until every node of the next configuration has the log.
    await c.until(() => c.replica(removed).actor.getSnapshot().output?.reason === 'retired', 200, 'the removed server retired');
    await expect(c.replica(removed).append('late')).rejects.toMatchObject({ code: 'StopSign' });
    const cont = next.nodes.find((p) => p !== leader) as number;
    const r = await drive(c, c.replica(cont).append('c'), 2000);
    expect(r.idx).toBe(2);
    await c.until(() => next.nodes.every((p) => c.replica(p).getDecided().length === 3));
    for (const p of next.nodes) {
      expect(c.replica(p).getDecided().map((d) => [d.idx, d.entry])).toEqual([
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ]);
    }
    await c.stop();
  });
});
