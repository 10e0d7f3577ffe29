import type { NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { drive } from './cluster-harness.js';
import {
  type Disk,
  type ReconfigCluster,
  appendAll,
  durable,
  expectSameFullLog,
  pulledFrom,
  range,
  startReconfigCluster,
} from './reconfig-harness.js';

const caughtUp = (c: ReconfigCluster, pid: NodeId, configurationId: number): boolean =>
  (c.timeline.get(pid) ?? []).some((e) => e.kind === 'completed' && (!('configurationId' in e) || e.configurationId === configurationId));

/** reconfigure proposes `next` at `via`, starts its new servers, and waits for its leader and their catch-up. */
async function reconfigure(c: ReconfigCluster, via: NodeId, next: { configurationId: number; nodes: NodeId[] }, fresh: NodeId[]): Promise<void> {
  c.replica(via).reconfigure(next);
  for (const p of fresh) c.join(p, next);
  await c.until(() => c.leaderOf(next.nodes) !== undefined, 3000, `a leader of configuration ${next.configurationId}`);
  await c.until(() => fresh.every((p) => caughtUp(c, p, next.configurationId)), 3000, 'the new servers caught up');
}

describe('a one-server replica', () => {
  it('leads at once and decides each append alone', async () => {
    const c = startReconfigCluster([1]);
    await c.until(() => c.replica(1).getLeader() === 1, 3, 'server 1 leads within the first ticks');
    const r = await drive(c, c.replica(1).append('a'), 20);
    expect(r.idx).toBe(0);
    await appendAll(c, [1], range('b', 20));
    expect(c.replica(1).getDecided()).toHaveLength(21);
    await c.stop();
  });
});

describe('growing and shrinking by reconfiguration', () => {
  it('grows 1 → 3 → 5 and shrinks 5 → 3 → 1, the new servers pulling from every continuing server', async () => {
    const c = startReconfigCluster([1]);
    await c.until(() => c.leaderOf([1]) === 1, 10, 'server 1 leads');
    const all: string[] = [];
    const step = async (tag: string, via: NodeId[]): Promise<void> => {
      const e = range(tag, 30);
      await appendAll(c, via, e);
      all.push(...e);
    };
    await step('one', [1]);
    await reconfigure(c, 1, { configurationId: 2, nodes: [1, 2, 3] }, [2, 3]);
    expect(pulledFrom(c, 2)).toEqual([1]);
    expect(pulledFrom(c, 3)).toEqual([1]);
    await step('three', [1, 2, 3]);
    await expectSameFullLog(c, [1, 2, 3], all);
    await reconfigure(c, 2, { configurationId: 3, nodes: [1, 2, 3, 4, 5] }, [4, 5]);
    expect(pulledFrom(c, 4)).toEqual([1, 2, 3]);
    expect(pulledFrom(c, 5)).toEqual([1, 2, 3]);
    await step('five', [1, 2, 3, 4, 5]);
    await expectSameFullLog(c, [1, 2, 3, 4, 5], all);
    await reconfigure(c, 5, { configurationId: 4, nodes: [3, 4, 5] }, []);
    await step('back-three', [3, 4, 5]);
    await expectSameFullLog(c, [3, 4, 5], all);
    await reconfigure(c, 3, { configurationId: 5, nodes: [4] }, []);
    await step('back-one', [4]);
    await expectSameFullLog(c, [4], all);
    for (const p of [1, 2, 3, 5]) expect(c.replica(p).actor.getSnapshot().output?.reason).toBe('retired');
    await c.stop();
  });
});

/**
 * startGrowingFromOne decides 200 entries on the single server 1, slows its links to the new servers
 * (so that the pull takes a while) and starts the growth to {1, 2, 3}.
 */
async function startGrowingFromOne(c: ReconfigCluster): Promise<{ before: string[]; next: { configurationId: number; nodes: NodeId[] } }> {
  await c.until(() => c.leaderOf([1]) === 1, 10, 'server 1 leads');
  const before = range('a', 200);
  await appendAll(c, [1], before);
  for (const p of [2, 3]) c.router.setBandwidth(1, p, 600);
  const next = { configurationId: 2, nodes: [1, 2, 3] };
  c.replica(1).reconfigure(next);
  c.join(2, next);
  c.join(3, next);
  return { before, next };
}

describe('faults while growing from one server', () => {
  it('a new server that crashes mid-pull restarts and catches up from the single server', async () => {
    const c = startReconfigCluster([1], { maxPack: 1 });
    const { before, next } = await startGrowingFromOne(c);
    await c.until(() => (c.timeline.get(2) ?? []).filter((e) => e.kind === 'chunk').length >= 2, 1000, 'server 2 is pulling');
    await c.crash(2);
    expect(c.replica(2).getDecided().length).toBeLessThan(before.length);
    c.timeline.delete(2);
    c.join(2, next);
    await c.until(() => caughtUp(c, 2, 2) && caughtUp(c, 3, 2), 4000, 'both new servers caught up');
    expect(pulledFrom(c, 2)).toEqual([1]);
    const after = range('b', 10);
    await appendAll(c, [2, 3], after);
    await expectSameFullLog(c, next.nodes, [...before, ...after]);
    await c.stop();
  });

  it('the single server crashes and restarts before the new ones caught up: nothing decided is lost, the growth completes', async () => {
    const disks = new Map<NodeId, Disk>();
    const extra = durable(disks);
    const c = startReconfigCluster([1], (pid) => ({ maxPack: 1, ...extra(pid) }));
    const { before, next } = await startGrowingFromOne(c);
    await c.until(() => (c.timeline.get(2) ?? []).filter((e) => e.kind === 'chunk').length >= 2, 1000, 'the new servers are pulling');
    expect(caughtUp(c, 2, 2) || caughtUp(c, 3, 2)).toBe(false);
    await c.crash(1);
    await c.advance(50);
    // A whole-process restart of server 1: a new supervisor on the same storages and history record.
    c.restart(1, { configurationId: 1, nodes: [1] });
    await c.until(() => caughtUp(c, 2, 2) && caughtUp(c, 3, 2), 6000, 'both new servers caught up after the restart');
    await c.until(() => c.leaderOf(next.nodes) !== undefined, 3000, 'a leader of {1,2,3}');
    const after = range('b', 10);
    await appendAll(c, [1, 2, 3], after, 6000);
    await expectSameFullLog(c, next.nodes, [...before, ...after]);
    await c.stop();
  });
});
