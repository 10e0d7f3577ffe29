import type { LogEntry } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { DedupFilter } from '../src/internal.js';
import { RequestBook } from '../src/internal.js';
import { type DecidedItem, type ReplicatedEntry, payloadsOf, seqOf, sessionOf } from '../src/replica/replicated-entry.js';

const decided = (e: ReplicatedEntry<string>): LogEntry<ReplicatedEntry<string>, never> => ({ kind: 'Decided', entry: e });
const copy = (origin: number, session: number, seq: number, low = 0): ReplicatedEntry<string> => [[`e${seq}`], origin, session, seq, low];

describe('DedupFilter', () => {
  it('skips a copy seen in order, out of order, or below the proposer low mark', () => {
    const f = new DedupFilter(1000, 1000);
    expect([0, 1, 3, 1, 3, 2, 0].map((s) => f.isDuplicate(1, 7, s, 0))).toEqual([false, false, false, true, true, false, true]);
    expect(f.aheadCount).toBe(0); // 3 was folded into the high-water mark once 2 arrived
    expect(f.isDuplicate(2, 7, 0, 0)).toBe(false); // same session number, other origin: its own stream
    expect(f.isDuplicate(1, 8, 5, 5)).toBe(false); // a fresh stream starts at the proposer's low mark
    expect(f.isDuplicate(1, 8, 4, 5)).toBe(true);
  });

  it('keeps at most maxAhead out-of-order seqs per session, giving up the oldest gap', () => {
    const f = new DedupFilter(1000, 3);
    for (const s of [1, 2, 3]) expect(f.isDuplicate(1, 1, s, 0)).toBe(false);
    expect(f.aheadCount).toBe(3);
    expect(f.isDuplicate(1, 1, 5, 0)).toBe(false); // 4 out of order: gap 0 is given up
    expect(f.aheadCount).toBe(1); // only 5 is left above the gap at 4
    expect(f.isDuplicate(1, 1, 0, 0)).toBe(true);
    expect(f.isDuplicate(1, 1, 4, 0)).toBe(false);
    expect(f.aheadCount).toBe(0);
  });

  it('forgets a session idle for idleWindow entries, and everything at reset', () => {
    const f = new DedupFilter(10, 10);
    f.isDuplicate(1, 1, 0, 0);
    for (let i = 0; i < 25; i++) f.isDuplicate(2, 2, i, 0);
    expect(f.streamCount).toBe(1);
    expect(f.isDuplicate(1, 1, 0, 0)).toBe(false); // forgotten: the bound of the filter
    f.reset();
    expect(f.streamCount).toBe(0);
  });

  it('decides the same on every replica: its state is a function of the decided stream', () => {
    const stream: [number, number, number, number][] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      stream.push([1 + (x % 3), 1, Math.floor((i + (x % 40)) / 2), Math.max(0, Math.floor(i / 2) - 50)]);
    }
    const run = () => {
      const f = new DedupFilter(100, 16);
      return stream.map(([o, s, q, l]) => f.isDuplicate(o, s, q, l));
    };
    expect(run()).toEqual(run());
  });
});

describe('RequestBook', () => {
  it('delivers each request once and resolves its own proposals, whatever the copies', () => {
    // maxPack 1: one application entry per log entry, so copies can be decided in any order.
    const leader = new RequestBook<string>(1, 100, 100, 11, 1);
    const follower = new RequestBook<string>(2, 100, 100, 22, 1);
    leader.add([
      { rid: 'a', entry: 'A' },
      { rid: 'b', entry: 'B' },
    ]);
    const first = leader.takeHeld(0);
    const again = leader.takeOverdue(10, 5); // re-proposed: same session and seq
    expect(again.map((e) => [seqOf(e), sessionOf(e)])).toEqual(first.map((e) => [seqOf(e), sessionOf(e)]));
    const log = [first[1], again[0], first[0], again[1]].map((e) => decided(e as ReplicatedEntry<string>));
    const out = leader.applyDecided(log);
    expect(out.map((i) => [i.idx, i.rid])).toEqual([
      [0, 'b'],
      [1, 'a'],
    ]);
    // Every replica delivers the same entries at the same indices; only the proposer knows the rids.
    const view = (items: DecidedItem<string>[]) => items.map((i) => [i.idx, i.entry, i.origin]);
    const onFollower = follower.applyDecided(log);
    expect(view(onFollower)).toEqual(view(out));
    expect(onFollower.map((i) => i.rid)).toEqual([undefined, undefined]);
    expect(leader.size).toBe(0);
  });

  it('re-proposes under a new seq an own entry the filter gave up on, so it still resolves once', () => {
    const book = new RequestBook<string>(1, 100, 1, 5, 1); // maxAhead 1: a second out-of-order seq gives up the gap
    book.add(['a', 'b', 'c'].map((rid) => ({ rid, entry: rid.toUpperCase() })));
    const [a, b, c] = book.takeHeld(0) as [ReplicatedEntry<string>, ReplicatedEntry<string>, ReplicatedEntry<string>];
    expect(book.applyDecided([decided(b), decided(c)]).map((i) => i.rid)).toEqual(['b', 'c']);
    expect(book.applyDecided([decided(a)])).toEqual([]); // gap at a was given up: skipped everywhere
    const [reissued] = book.takeHeld(1);
    expect(reissued && payloadsOf(reissued)).toEqual(['A']);
    expect(reissued && seqOf(reissued)).toBe(3);
    expect(book.applyDecided([decided(a), decided(reissued as ReplicatedEntry<string>)]).map((i) => [i.idx, i.rid])).toEqual([[2, 'a']]);
    expect(book.size).toBe(0);
  });

  it('starts a fresh filter at a decided stop sign', () => {
    const book = new RequestBook<string>(2, 100, 100, 9);
    book.applyDecided([decided(copy(1, 3, 0)), decided(copy(1, 3, 1))]);
    expect(book.dedup.streamCount).toBe(1);
    book.applyDecided([{ kind: 'StopSign', stopSign: { nextConfig: { configurationId: 2, nodes: [1, 2] } }, decided: true }]);
    expect(book.dedup.streamCount).toBe(0);
    expect(book.applyDecided([decided(copy(1, 3, 2, 2))]).map((i) => i.idx)).toEqual([2]);
  });
});
