import type { NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import type { DecidedItem, HistorySnapshot, ReplicaStorage } from '../src/index.js';
import { type Disk, FAST_PULL, PACK, type ReconfigCluster, appendAll, durable, pulledFrom, range, startReconfigCluster } from './reconfig-harness.js';

/** LIST keeps the whole delivered sequence as the snapshot, so a test can compare it entry by entry. */
const LIST = { create: (entries: string[]): string[] => [...entries], merge: (base: string[], delta: string[]): string[] => [...base, ...delta] };

async function reconfigure(c: ReconfigCluster, via: NodeId, next: { configurationId: number; nodes: NodeId[] }): Promise<void> {
  c.replica(via).reconfigure(next);
  for (const p of next.nodes) if (!c.replicas.has(p)) c.join(p, next);
  await c.until(() => c.leaderOf(next.nodes) !== undefined, 3000, `a leader of configuration ${next.configurationId}`);
  await c.until(() => next.nodes.every((p) => (c.timeline.get(p) ?? []).some((e) => e.kind === 'completed') || !isNew(c, p, next)), 3000, 'new servers caught up');
}

const isNew = (c: ReconfigCluster, p: NodeId, next: { configurationId: number }): boolean =>
  (c.timeline.get(p) ?? []).some((e) => e.kind === 'started' && e.configurationId === next.configurationId);

/** servedBy returns the sources that served `pid` entries or a snapshot. */
function servedBy(c: ReconfigCluster, pid: NodeId): NodeId[] {
  const s = new Set<NodeId>();
  for (const e of c.timeline.get(pid) ?? []) if (e.kind === 'chunk' || e.kind === 'snapshot') s.add(e.source);
  return [...s].sort();
}

const show = (items: readonly DecidedItem<string>[]): string[] => items.map((d) => `${d.idx}:${d.entry}`);

/** watchSnapshots records the snapshots a server was handed (pulled or restored). */
function watchSnapshots(c: ReconfigCluster, pid: NodeId): HistorySnapshot[] {
  const out: HistorySnapshot[] = [];
  c.replica(pid).actor.on('omnipaxos.snapshot', (e) => {
    if (e.origin !== 'compacted') out.push(e.snapshot);
  });
  return out;
}

/** rawLength is the number of log entries of a finished configuration's storage (its stop sign is kept apart). */
const rawLength = (s: ReplicaStorage<string> | undefined): number => (s ? s.getCompactedIdx() + s.getLogLen() : 0);

describe('compaction and snapshot segments', () => {
  for (const seed of [1, 2, 3]) {
    it(`a new server pulls a snapshot of the compacted configuration plus the entries after it (seed ${seed})`, async () => {
      const disks = new Map<NodeId, Disk>();
      const c = startReconfigCluster([1, 2, 3], durable(disks, { compaction: { logic: LIST } }), seed);
      await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
      const a = range('a', 60);
      await appendAll(c, [1, 2, 3], a);
      await reconfigure(c, 2, { configurationId: 2, nodes: [1, 2, 4] });
      const b = range('b', 25);
      await appendAll(c, [1, 4], b);
      for (const p of [1, 2, 4]) c.replica(p).compact(1);
      await c.advance(5);
      // configuration 1's raw log: 60 entries packed into fewer log entries (PACK), then the stop sign
      const raw1 = rawLength(c.storages.get(1));
      expect(raw1).toBeGreaterThanOrEqual(60 / PACK);
      expect(raw1).toBeLessThan(60);
      // configuration 1's entries left the storages of the continuing servers (the snapshot stands for them)
      expect(c.storages.get(1)?.getCompactedIdx()).toBe(raw1);
      expect(disks.get(4)?.byConfig.get(1)?.getCompactedIdx()).toBe(raw1);

      c.replica(1).reconfigure({ configurationId: 3, nodes: [1, 4, 5] });
      c.join(5, { configurationId: 3, nodes: [1, 4, 5] });
      const snaps = watchSnapshots(c, 5);
      await c.until(() => (c.timeline.get(5) ?? []).some((e) => e.kind === 'completed'), 3000, 'server 5 caught up');
      expect(servedBy(c, 5)).toEqual([1, 4]);
      const ref = c.replica(1).getDecided();
      expect(snaps).toHaveLength(1);
      const snap = snaps[0] as HistorySnapshot;
      expect(snap).toMatchObject({ configurationId: 1, rawEnd: raw1, appEnd: 60 });
      expect(snap.data).toEqual(ref.slice(0, 60).map((d) => d.entry));
      expect(show(c.replica(5).getDecided())).toEqual(show(ref.slice(60)));

      const d = range('d', 12);
      await appendAll(c, [5, 4, 1], d);
      await c.until(() => [1, 4, 5].every((p) => c.replica(p).getDecided().length >= (p === 5 ? 37 : 97)), 2000, 'delivered');
      expect(show(c.replica(5).getDecided())).toEqual(show(c.replica(1).getDecided().slice(60)));
      expect(show(c.replica(4).getDecided())).toEqual(show(c.replica(1).getDecided()));
      await c.stop();
    });
  }

  it('compacts automatically once the next configuration acknowledged; a later joiner gets both configurations as one snapshot', async () => {
    const disks = new Map<NodeId, Disk>();
    const c = startReconfigCluster([1, 2, 3], durable(disks, { compaction: { logic: LIST, auto: true } }), 4);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    await appendAll(c, [1, 2, 3], range('a', 40));
    await reconfigure(c, 1, { configurationId: 2, nodes: [1, 2, 4] });
    await appendAll(c, [2, 4], range('b', 30));
    await reconfigure(c, 4, { configurationId: 3, nodes: [1, 2, 4] });
    const raw1 = rawLength(c.storages.get(1));
    const raw2 = rawLength(disks.get(1)?.byConfig.get(2));
    expect(raw1 + raw2).toBeLessThan(70); // packed: raw log positions are not application indices
    await c.until(() => c.storages.get(1)?.getCompactedIdx() === raw1 && disks.get(1)?.byConfig.get(2)?.getCompactedIdx() === raw2, 500, 'auto compaction');
    await appendAll(c, [1], range('d', 5));
    c.replica(2).reconfigure({ configurationId: 4, nodes: [1, 2, 6] });
    c.join(6, { configurationId: 4, nodes: [1, 2, 6] });
    const snaps = watchSnapshots(c, 6);
    await c.until(() => (c.timeline.get(6) ?? []).some((e) => e.kind === 'completed'), 3000, 'server 6 caught up');
    expect(snaps.map((s) => [s.configurationId, s.rawEnd, s.appEnd])).toEqual([[2, raw1 + raw2, 70]]);
    const ref = c.replica(1).getDecided();
    expect(snaps[0]?.data).toEqual(ref.slice(0, 70).map((d) => d.entry));
    expect(show(c.replica(6).getDecided())).toEqual(show(ref.slice(70)));
    await c.stop();
  });
});

describe('durable history', () => {
  it('a continuing server restarted on the same storages serves segments and keeps its global index', async () => {
    const disks = new Map<NodeId, Disk>();
    const extra = durable(disks, { compaction: { logic: LIST } });
    const c = startReconfigCluster([1, 2, 3], extra, 5);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const a = range('a', 50);
    await appendAll(c, [1, 2, 3], a);
    await reconfigure(c, 1, { configurationId: 2, nodes: [1, 2, 4] });
    await appendAll(c, [1, 4], range('b', 20));
    await c.advance(5);
    const before = show(c.replica(1).getDecided());
    expect(before).toHaveLength(70);

    // whole-process restart of 1 and of the new server 4: new supervisors, same storages and history record
    for (const [pid, nodes, cid] of [[1, [1, 2, 3], 1], [4, [1, 2, 4], 2]] as const) {
      await c.replica(pid).stop();
      c.restart(pid, { configurationId: cid, nodes: [...nodes] });
    }
    await c.until(() => c.leaderOf([1, 2, 4]) !== undefined, 1000, 'a leader after the restarts');
    await c.until(() => c.replica(1).getDecided().length >= 70 && c.replica(4).getDecided().length >= 70, 500, 'replayed');
    expect(show(c.replica(1).getDecided())).toEqual(before);
    expect(show(c.replica(4).getDecided())).toEqual(before);
    const { idx } = await new Promise<{ idx: number }>((resolve, reject) => {
      c.replica(1).append('after-restart').then(resolve, reject);
      void c.until(() => false, 1000).catch(() => {});
    });
    expect(idx).toBe(70);

    // both restarted servers are the only continuing sources of the next configuration
    await reconfigure(c, 2, { configurationId: 3, nodes: [1, 4, 7] });
    expect(pulledFrom(c, 7)).toEqual([1, 4]);
    await c.until(() => c.replica(7).getDecided().length >= 71, 500, 'server 7 delivered');
    expect(show(c.replica(7).getDecided())).toEqual(show(c.replica(1).getDecided()));
    await c.stop();
  });
});

describe('bounded handover wait', () => {
  it('a removed server retires after retireAfterTicks once a quorum of the next configuration acknowledged', async () => {
    const c = startReconfigCluster([1, 2, 3], { migration: { ...FAST_PULL, retireAfterTicks: 150 } }, 6);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    await appendAll(c, [1], range('a', 20));
    c.replica(1).reconfigure({ configurationId: 2, nodes: [1, 2, 4, 5] }); // 5 never starts
    c.join(4, { configurationId: 2, nodes: [1, 2, 4, 5] });
    const t = await c.until(() => c.replica(3).actor.getSnapshot().output?.reason === 'retired', 1000, 'server 3 retired');
    expect(t).toBeGreaterThanOrEqual(150);
    expect((c.timeline.get(3) ?? []).some((e) => e.kind === 'handedOver')).toBe(true);
    await c.stop();
  });
});
