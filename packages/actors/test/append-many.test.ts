import { describe, expect, it } from 'vitest';
import { RequestBook } from '../src/internal.js';
import { type ReplicatedEntry, isReplicatedEntry, lowOf, originOf, payloadsOf, seqOf } from '../src/replica/replicated-entry.js';
import { drive, settle, startCluster } from './cluster-harness.js';

describe('appendMany', () => {
  it('resolves once, in order, with the indices the entries have on every replica, despite drops', async () => {
    const nodes = [1, 2, 3];
    const c = startCluster<string>(nodes, () => ({ reproposeTicks: 15 }), 11);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0.2);
    const follower = nodes.find((p) => p !== c.leader()) as number;
    const batches = [
      { pid: follower, entries: ['f0', 'f1', 'f2', 'f3', 'f4'] },
      { pid: c.leader() as number, entries: ['l0', 'l1', 'l2'] },
    ];
    let settled = 0;
    const results = batches.map((b) =>
      c
        .replica(b.pid)
        .appendMany(b.entries)
        .then((r) => {
          settled += 1;
          return r;
        }),
    );
    const single = c.replica(follower).append('single');
    const [many, one] = await drive(c, Promise.all([Promise.all(results), single]), 5000);
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0);
    // One more append after healing, once a leader is known again (drops may have moved leadership).
    await c.until(() => c.leader() !== undefined, 500, 'a leader after healing');
    await drive(c, c.replica(c.leader() as number).append('after'), 500);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 10), 2000, 'all delivered');
    await c.advance(50);
    expect(settled).toBe(2);
    const logs = [...c.replicas.values()].map((r) => r.getDecided().map((d) => `${d.idx}:${d.entry}`));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    expect(logs[0]).toHaveLength(10); // re-proposed copies are never delivered twice
    batches.forEach((b, k) => {
      const idxs = (many?.[k] ?? []).map((r) => r.idx);
      expect(idxs).toHaveLength(b.entries.length);
      idxs.forEach((idx, i) => expect(logs[0]?.[idx]).toBe(`${idx}:${b.entries[i]}`));
      // One proposer's entries keep their order in the log.
      expect([...idxs].sort((x, y) => x - y)).toEqual(idxs);
    });
    expect(logs[0]?.[one.idx]).toBe(`${one.idx}:single`);
    await c.stop();
  });

  it('rejects with the first ReplicaError: Overflow when the held queue is full, Shutdown after stop', async () => {
    const c = startCluster<string>([1, 2, 3], () => ({ maxHeldProposals: 2 }));
    await expect(c.replica(1).appendMany(['a', 'b', 'c'])).rejects.toMatchObject({ name: 'ReplicaError', code: 'Overflow' });
    expect(await c.replica(1).appendMany([])).toEqual([]);
    const pending = c.replica(2).appendMany(['x']); // no leader yet: held back
    await settle();
    await c.replica(2).stop();
    await expect(pending).rejects.toMatchObject({ code: 'Shutdown' });
    await expect(c.replica(2).appendMany(['y'])).rejects.toMatchObject({ code: 'Shutdown' });
    await c.stop();
  });

  it('delivers batches to every listener, reports listener errors, and gives the rid only to the proposer', async () => {
    const errors: unknown[] = [];
    const c = startCluster<string>([1, 2, 3], () => ({ onListenerError: (e) => errors.push(e) }));
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const other = [1, 2, 3].find((p) => p !== leader) as number;
    const seen: string[] = [];
    c.replica(other).onDecided(0, (item) => {
      if (item.entry === 'b') throw new Error('listener bug');
      seen.push(item.entry);
    });
    const rids = new Map<number, (string | undefined)[]>();
    for (const pid of [1, 2, 3]) c.replica(pid).onDecided(0, (item) => rids.set(pid, [...(rids.get(pid) ?? []), item.rid]));
    await drive(c, c.replica(leader).appendMany(['a', 'b', 'c']), 1000);
    await c.until(() => (rids.get(other)?.length ?? 0) === 3, 500, 'delivered on the other replica');
    expect(seen).toEqual(['a', 'c']); // the throw on 'b' did not cost the listener 'c'
    expect(errors).toHaveLength(1);
    expect(rids.get(leader)?.every((r) => typeof r === 'string')).toBe(true);
    expect(rids.get(other)).toEqual([undefined, undefined, undefined]);
    await c.stop();
  });
});

describe('ReplicatedEntry', () => {
  it('is a compact tuple packing a batch; only the first log entry of each hand-over carries the low mark', () => {
    const book = new RequestBook<string>(4, 100, 100, 77, 2); // at most 2 application entries per log entry
    book.add(['a', 'b', 'c'].map((rid) => ({ rid, entry: rid.toUpperCase() })));
    const first = book.takeHeld(0);
    expect(first).toEqual([
      [['A', 'B'], 4, 77, 0, 0],
      [['C'], 4, 77, 2],
    ]);
    expect(first.map(payloadsOf)).toEqual([['A', 'B'], ['C']]);
    expect(first.map((e) => [originOf(e), seqOf(e), lowOf(e)])).toEqual([
      [4, 0, 0],
      [4, 2, 0],
    ]);
    // 'a' and 'b' decided: a re-proposal of the other says everything below seq 2 was decided.
    const out = book.applyDecided([{ kind: 'Decided', entry: first[0] as ReplicatedEntry<string> }]);
    expect(out).toEqual([
      { idx: 0, entry: 'A', origin: 4, rid: 'a' },
      { idx: 1, entry: 'B', origin: 4, rid: 'b' },
    ]);
    expect(book.takeOverdue(10, 5)).toEqual([[['C'], 4, 77, 2, 2]]);
    expect(structuredClone(first).every(isReplicatedEntry)).toBe(true);
    for (const bad of [{ entry: 'A', origin: 4, session: 77, seq: 0, low: 0 }, ['A', 4, 77, 0], [[], 4, 77, 0], [['A'], 4, 77], [['A'], -1, 77, 0], [['A'], 4, 77, 0.5], null]) {
      expect(isReplicatedEntry(bad)).toBe(false);
    }
  });

  it('holds again only the rejected entries of its own session, matched by seq', () => {
    const book = new RequestBook<string>(1, 100, 100, 5, 1);
    book.add(['a', 'b'].map((rid) => ({ rid, entry: rid })));
    const sent = book.takeHeld(0);
    expect(book.heldCount).toBe(0);
    book.holdAgain([[['b'], 1, 6, 1], [['b'], 2, 5, 1]]); // another session, another origin: not ours
    expect(book.heldCount).toBe(0);
    book.holdAgain([sent[1] as ReplicatedEntry<string>]);
    expect(book.heldCount).toBe(1);
    expect(book.takeHeld(1)).toEqual([[['b'], 1, 5, 1, 0]]);
    expect(book.removeAll().sort()).toEqual(['a', 'b']);
  });
});
