import type { NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { type ReconfigCluster, appendAll, expectSameFullLog, pulledFrom, range, startReconfigCluster } from './reconfig-harness.js';

/** slowLinks limits every link into `to` so that a pull takes many ticks. */
function slowLinks(c: ReconfigCluster, to: NodeId, from: NodeId[], bytesPerTick = 600): void {
  for (const f of from) c.router.setBandwidth(f, to, bytesPerTick);
}

const chunksFrom = (c: ReconfigCluster, pid: NodeId): number => (c.timeline.get(pid) ?? []).filter((e) => e.kind === 'chunk').length;

describe('reconfiguration under failures', () => {
  it("moves a crashed continuing server's segments to the other sources", async () => {
    // One entry per log entry: the 300-entry log spans enough chunks that server 3 still owes some when it crashes.
    const c = startReconfigCluster([1, 2, 3, 4, 5], { maxPack: 1 });
    await c.until(() => c.leaderOf([1, 2, 3, 4, 5]) !== undefined, 500, 'a leader');
    const before = range('a', 300);
    await appendAll(c, [1, 2], before);
    slowLinks(c, 6, [1, 2, 3, 4, 5]);
    const next = { configurationId: 2, nodes: [1, 2, 3, 4, 6] };
    c.replica(1).reconfigure(next);
    c.join(6, next);
    await c.until(() => chunksFrom(c, 6) >= 2, 500, 'the pull is under way');
    await c.crash(3);
    await c.until(() => (c.timeline.get(6) ?? []).some((e) => e.kind === 'completed'), 2000, 'server 6 caught up');
    const moved = (c.timeline.get(6) ?? []).filter((e) => e.kind === 'reassigned');
    expect(moved.some((e) => e.kind === 'reassigned' && e.failed === 3)).toBe(true);
    expect(pulledFrom(c, 6)).toEqual(expect.arrayContaining([1, 2, 4]));
    const after = range('b', 10);
    await appendAll(c, [6, 1], after);
    await expectSameFullLog(c, [1, 2, 4, 6], [...before, ...after]);
    await c.stop();
  });

  it('lets a new server that crashes mid-pull restart and catch up', async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const before = range('a', 200);
    await appendAll(c, [1, 2, 3], before);
    slowLinks(c, 4, [1, 2, 3]);
    const next = { configurationId: 2, nodes: [1, 2, 4] };
    c.replica(2).reconfigure(next);
    c.join(4, next);
    await c.until(() => chunksFrom(c, 4) >= 2, 500, 'the pull is under way');
    await c.crash(4);
    expect(c.replica(4).getDecided().length).toBeLessThan(before.length);
    await c.advance(30);
    c.timeline.delete(4);
    c.join(4, next); // restarted process: it joins again and is sent ReconfigInit again
    await c.until(() => (c.timeline.get(4) ?? []).some((e) => e.kind === 'completed'), 2000, 'server 4 caught up after its restart');
    const after = range('b', 10);
    await appendAll(c, [4], after);
    await expectSameFullLog(c, next.nodes, [...before, ...after]);
    await c.stop();
  });

  it("runs the seed README's example: {1,2,3} to {1,2,4} after server 3 crashed", async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const before = range('a', 80);
    await appendAll(c, [1, 2, 3], before);
    await c.crash(3);
    const during = range('x', 10);
    const pending = appendAll(c, [1, 2], during, 4000);
    const next = { configurationId: 2, nodes: [1, 2, 4] };
    c.replica(1).reconfigure(next);
    c.join(4, next);
    await pending;
    await c.until(() => (c.timeline.get(4) ?? []).some((e) => e.kind === 'completed'), 2000, 'server 4 caught up');
    expect(pulledFrom(c, 4)).toEqual([1, 2]);
    const after = range('b', 10);
    await appendAll(c, [4, 1], after);
    await expectSameFullLog(c, next.nodes, [...before, ...during, ...after]);
    await c.stop();
  });
});
