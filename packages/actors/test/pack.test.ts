import type { LogEntry, NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { DedupFilter } from '../src/internal.js';
import { RequestBook } from '../src/internal.js';
import { type DecidedItem, type ReplicatedEntry, countOf, payloadsOf, seqOf } from '../src/replica/replicated-entry.js';
import { type Cluster, drive, startCluster } from './cluster-harness.js';

const decided = (e: ReplicatedEntry<string>): LogEntry<ReplicatedEntry<string>, never> => ({ kind: 'Decided', entry: e });
const view = (items: DecidedItem<string>[]) => items.map((i) => `${i.idx}:${i.entry}@${i.origin}`);

/** rawLog is every log entry of a replica's first-configuration storage (its packed batches). */
const rawLog = (c: Cluster<string>, pid: NodeId): ReplicatedEntry<string>[] => {
  const s = c.storages.get(pid);
  return s ? s.getEntries(s.getCompactedIdx(), s.getCompactedIdx() + s.getLogLen()) : [];
};

describe('batch packing (RequestBook)', () => {
  it('packs consecutive requests into log entries of at most maxPack, one tag each', () => {
    const book = new RequestBook<string>(1, 100, 100, 9, 4);
    book.add(['a', 'b', 'c', 'd', 'e', 'f'].map((rid) => ({ rid, entry: rid.toUpperCase() })));
    expect(book.takeHeld(0)).toEqual([
      [['A', 'B', 'C', 'D'], 1, 9, 0, 0],
      [['E', 'F'], 1, 9, 4],
    ]);
  });

  it('a batch split by drops and re-proposal still delivers each entry once, in order, with dense indices', () => {
    const leader = new RequestBook<string>(1, 100, 100, 11, 4);
    const follower = new RequestBook<string>(2, 100, 100, 22, 4);
    leader.add(['a', 'b', 'c', 'd', 'e', 'f'].map((rid) => ({ rid, entry: rid.toUpperCase() })));
    const [p1, p2] = leader.takeHeld(0) as [ReplicatedEntry<string>, ReplicatedEntry<string>];
    // p1 was dropped on the way; p2 is decided first.
    const log1 = [decided(p2)];
    const first = leader.applyDecided(log1);
    expect(view(first)).toEqual(['0:E@1', '1:F@1']);
    // p1 is re-proposed as one batch (low mark still 0: seq 0 is undecided), a new request is packed apart.
    const again = leader.takeOverdue(10, 5);
    expect(again).toEqual([[['A', 'B', 'C', 'D'], 1, 11, 0, 0]]);
    leader.add([{ rid: 'g', entry: 'G' }]);
    const [pg] = leader.takeHeld(10) as [ReplicatedEntry<string>];
    expect(pg).toEqual([['G'], 1, 11, 6, 0]);
    // The late original p1, its re-proposed copy, a copy that overlaps p1 and p2 differently
    // (as a regrouped re-proposal would), p2 again and g are all decided.
    const overlapping: ReplicatedEntry<string> = [['C', 'D', 'E'], 1, 11, 2];
    const log2 = [p1, again[0] as ReplicatedEntry<string>, overlapping, p2, pg].map(decided);
    const second = leader.applyDecided(log2);
    expect(view(second)).toEqual(['2:A@1', '3:B@1', '4:C@1', '5:D@1', '6:G@1']);
    expect([...first, ...second].map((i) => i.rid)).toEqual(['e', 'f', 'a', 'b', 'c', 'd', 'g']);
    expect(leader.size).toBe(0);
    expect(leader.heldCount).toBe(0);
    // Another replica sees the same entries at the same indices (without rids).
    const other = follower.applyDecided([...log1, ...log2]);
    expect(view(other)).toEqual(view([...first, ...second]));
    expect(other.every((i) => i.rid === undefined)).toBe(true);
  });

  it('a copy decided after an overlapping one delivers only the seqs not seen yet', () => {
    const book = new RequestBook<string>(3, 100, 100, 5, 8);
    const copies: ReplicatedEntry<string>[] = [
      [['x2', 'x3'], 1, 7, 2],
      [['x0', 'x1', 'x2', 'x3', 'x4'], 1, 7, 0],
      [['x4', 'x5'], 1, 7, 4],
    ];
    const items = book.applyDecided(copies.map(decided));
    expect(items.map((i) => `${i.idx}:${i.entry}`)).toEqual(['0:x2', '1:x3', '2:x0', '3:x1', '4:x4', '5:x5']);
  });

  it('holdAgain puts a rejected batch back on hold whole and re-proposes it whole', () => {
    const book = new RequestBook<string>(1, 100, 100, 5, 16);
    book.add(['a', 'b', 'c'].map((rid) => ({ rid, entry: rid })));
    const sent = book.takeHeld(0);
    expect(sent.map(countOf)).toEqual([3]);
    book.holdAgain(sent);
    expect(book.heldCount).toBe(3);
    expect(book.takeHeld(1)).toEqual([[['a', 'b', 'c'], 1, 5, 0, 0]]);
  });
});

describe('DedupFilter.takeRun', () => {
  it('decides like seq-by-seq checks on random packed copies (in order, late, overlapping, with low marks)', () => {
    let x = 12345;
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) % 2147483648), x % n);
    const fast = new DedupFilter(1_000_000, 1_000_000);
    const slow = new DedupFilter(1_000_000, 1_000_000);
    for (let k = 0; k < 2000; k++) {
      const origin = 1 + rnd(2);
      const seq = rnd(300);
      const n = 1 + rnd(6);
      const low = rnd(4) === 0 ? Math.max(0, seq - rnd(3)) : 0;
      const viaSlow = Array.from({ length: n }, (_, i) => slow.isDuplicate(origin, 7, seq + i, i === 0 ? low : 0));
      const viaFast = fast.takeRun(origin, 7, seq, n, low)
        ? Array.from({ length: n }, () => false)
        : Array.from({ length: n }, (_, i) => fast.isDuplicate(origin, 7, seq + i, i === 0 ? low : 0));
      expect(viaFast).toEqual(viaSlow);
    }
  });
});

describe('batch packing (cluster)', () => {
  it('mixed batches from several origins under drops: each entry once, batch order kept, same dense log everywhere', async () => {
    const nodes = [1, 2, 3];
    const c = startCluster<string>(nodes, () => ({ reproposeTicks: 15 }), 7);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0.2);
    const batches = nodes.flatMap((pid) => [0, 1].map((k) => ({ pid, entries: Array.from({ length: 7 }, (_, i) => `n${pid}b${k}e${i}`) })));
    const results = batches.map((b) => c.replica(b.pid).appendMany(b.entries));
    const all = await drive(c, Promise.all(results), 8000);
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0);
    const total = batches.length * 7;
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === total), 3000, 'all delivered');
    await c.advance(50);
    const logs = [...c.replicas.values()].map((r) => r.getDecided().map((d) => `${d.idx}:${d.entry}@${d.origin}`));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    const log = (c.replicas.get(1) as { getDecided(): readonly DecidedItem<string>[] }).getDecided();
    expect(log.map((d) => d.idx)).toEqual(Array.from({ length: total }, (_, i) => i)); // dense
    expect(new Set(log.map((d) => d.entry)).size).toBe(total); // each once
    batches.forEach((b, k) => {
      const idx = (all[k] as { idx: number }[]).map((r) => r.idx);
      expect(idx.map((i) => log[i]?.entry)).toEqual(b.entries); // each promise got its entries' indices
      for (let i = 1; i < idx.length; i++) expect(idx[i] as number).toBeGreaterThan(idx[i - 1] as number); // in order
    });
    // Packed: fewer log entries than application entries (copies included); a log entry holds the
    // appends of one origin, in the order they were made (both batches of a microtask may share one).
    const raw = rawLog(c, 1);
    expect(raw.length).toBeLessThan(total);
    for (const e of raw) {
      const p = [...payloadsOf(e)];
      expect(new Set(p.map((x) => x.slice(0, 2))).size).toBe(1);
      const mine = batches.filter((b) => b.pid === Number(p[0]?.slice(1, 2))).flatMap((b) => b.entries);
      const at = p.map((x) => mine.indexOf(x));
      for (let i = 1; i < at.length; i++) expect(at[i]).toBe((at[i - 1] as number) + 1);
    }
    await c.stop();
  });

  it('a batch proposed across a stop sign is carried into the next configuration or decided before it, whole', async () => {
    const nodes = [1, 2, 3];
    const c = startCluster<string>(nodes, () => ({ reproposeTicks: 15 }), 3);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const follower = nodes.find((p) => p !== leader) as number;
    await drive(c, c.replica(leader).append('warm'), 500);
    const reconfigured: number[] = [];
    for (const r of c.replicas.values()) r.actor.on('omnipaxos.reconfigured', (e) => reconfigured.push(e.pid));
    const before = Array.from({ length: 6 }, (_, i) => `L${i}`);
    const across = Array.from({ length: 6 }, (_, i) => `F${i}`);
    // Both batches race the stop sign (the client hands appends to the supervisor a microtask later,
    // a follower's batch is forwarded): each lands before it or is refused (PendingReconfig) and
    // proposed again in configuration 2, as one log entry either way.
    const pBefore = c.replica(leader).appendMany(before);
    c.replica(leader).reconfigure({ configurationId: 2, nodes });
    const pAcross = c.replica(follower).appendMany(across);
    const [rb, ra] = await drive(c, Promise.all([pBefore, pAcross]), 3000);
    await c.until(() => reconfigured.length === 3, 1000, 'reconfigured');
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 13), 2000, 'all delivered');
    const logs = [...c.replicas.values()].map((r) => r.getDecided().map((d) => `${d.idx}:${d.entry}`));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    // Each batch has consecutive indices, in order.
    for (const r of [rb, ra]) expect(r.map((x) => x.idx)).toEqual(Array.from({ length: 6 }, (_, i) => (r[0]?.idx ?? 0) + i));
    // Configuration 1's log holds each batch whole or not at all, never a part of one.
    const raw = rawLog(c, 1);
    const inOld = raw.flatMap((e) => [...payloadsOf(e)]);
    for (const batch of [before, across]) {
      const n = batch.filter((x) => inOld.includes(x)).length;
      expect(n === 0 || n === batch.length).toBe(true);
      const holders = raw.filter((e) => payloadsOf(e).some((x) => batch.includes(x)));
      for (const e of holders) expect(seqOf(e) >= 0 && [...payloadsOf(e)]).toEqual(batch.slice(0, countOf(e)));
    }
    expect(inOld).toContain('warm');
    await c.stop();
  });
});
