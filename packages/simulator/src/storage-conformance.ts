import { type Ballot, type StopSign, type Storage, StorageError, type StorageOp } from '@omnipaxos/core';
import { afterEach, describe, expect, it } from 'vitest';

/** MaybePromise is a value or a promise of it: factories may open storages asynchronously. */
export type MaybePromise<X> = X | Promise<X>;

/** ConformanceEntry is the default log entry the suite writes: a plain, msgpack- and JSON-safe object. */
export interface ConformanceEntry {
  id: number;
  data: string;
}

/** ConformanceSnapshot is the default snapshot value the suite writes. */
export interface ConformanceSnapshot {
  upTo: number;
  ids: number[];
}

/**
 * StorageConformanceFactory makes the storages under test. `create` returns a fresh, empty storage.
 * A durable storage also gives `reopen`: close `previous` (its writes were flushed) and open the same
 * store again, as a restarted process would. `dispose` releases a storage after each test.
 */
export interface StorageConformanceFactory<T = ConformanceEntry, S = ConformanceSnapshot> {
  create(): MaybePromise<Storage<T, S>>;
  reopen?(previous: Storage<T, S>): MaybePromise<Storage<T, S>>;
  dispose?(storage: Storage<T, S>): MaybePromise<void>;
  /** entry makes the i-th test entry; default `{ id: i, data: 'e' + i }` (a ConformanceEntry). */
  entry?(i: number): T;
  /** snapshot makes the i-th test snapshot; default a ConformanceSnapshot. */
  snapshot?(i: number): S;
  /** failingEntry is an entry this storage refuses to write (its codec throws), to test atomicity. */
  failingEntry?: T;
}

const ballot = (n: number, pid = 1): Ballot => ({ configId: 1, n, priority: 0, pid });
const stopSign = (): StopSign => ({
  nextConfig: { configurationId: 2, nodes: [1, 2, 4] },
  metadata: new Uint8Array([1, 2, 3]),
});

/** StateView is everything a storage reports, gathered for whole-state comparisons. */
interface StateView<T, S> {
  promise: Ballot | undefined;
  acceptedRound: Ballot | undefined;
  decidedIdx: number;
  compactedIdx: number;
  logLen: number;
  entries: T[];
  stopSign: StopSign | undefined;
  snapshot: S | undefined;
}

function view<T, S>(s: Storage<T, S>, from = 0): StateView<T, S> {
  return {
    promise: s.getPromise(),
    acceptedRound: s.getAcceptedRound(),
    decidedIdx: s.getDecidedIdx(),
    compactedIdx: s.getCompactedIdx(),
    logLen: s.getLogLen(),
    entries: s.getSuffix(from),
    stopSign: s.getStopsign(),
    snapshot: s.getSnapshot(),
  };
}

/**
 * describeStorageConformance registers a vitest suite that every Storage must pass: each method,
 * absolute indices across trims, `appendOnPrefix` truncation, `getEntries` past the end, all-or-nothing
 * `writeAtomically`, and (with `reopen`) round trips through close and reopen.
 */
export function describeStorageConformance<T = ConformanceEntry, S = ConformanceSnapshot>(
  name: string,
  factory: StorageConformanceFactory<T, S>,
): void {
  const e = (i: number): T => (factory.entry ? factory.entry(i) : ({ id: i, data: `e${i}` } as unknown as T));
  const es = (from: number, to: number): T[] => Array.from({ length: to - from }, (_, k) => e(from + k));
  const snap = (i: number): S =>
    factory.snapshot ? factory.snapshot(i) : ({ upTo: i, ids: [1, 2, i] } as unknown as S);
  const live: Storage<T, S>[] = [];
  const create = async (): Promise<Storage<T, S>> => {
    const s = await factory.create();
    live.push(s);
    return s;
  };
  const reopen = async (s: Storage<T, S>): Promise<Storage<T, S>> => {
    if (!factory.reopen) throw new Error('factory has no reopen');
    await s.flush?.();
    live.splice(live.indexOf(s), 1);
    const r = await factory.reopen(s);
    live.push(r);
    return r;
  };
  /** withLog makes a storage holding entries [0, n). */
  const withLog = async (n: number): Promise<Storage<T, S>> => {
    const s = await create();
    s.appendEntries(es(0, n));
    return s;
  };

  describe(`Storage conformance: ${name}`, () => {
    afterEach(async () => {
      for (const s of live.splice(0)) await factory.dispose?.(s);
    });

    it('starts empty', async () => {
      const s = await create();
      const empty = { promise: undefined, acceptedRound: undefined, stopSign: undefined, snapshot: undefined };
      expect(view(s)).toEqual({ ...empty, decidedIdx: 0, compactedIdx: 0, logLen: 0, entries: [] });
      expect(s.getEntries(0, 10)).toEqual([]);
    });

    it('keeps the promise, accepted round, decided and compacted index, last write wins', async () => {
      const s = await create();
      s.setPromise(ballot(3, 2));
      s.setAcceptedRound(ballot(2, 1));
      s.setDecidedIdx(0);
      s.setCompactedIdx(0);
      expect(s.getPromise()).toEqual(ballot(3, 2));
      expect(s.getAcceptedRound()).toEqual(ballot(2, 1));
      s.setPromise(ballot(5, 3));
      s.setAcceptedRound(ballot(5, 3));
      s.appendEntries(es(0, 4));
      s.setDecidedIdx(4);
      s.setCompactedIdx(2);
      expect(s.getPromise()).toEqual(ballot(5, 3));
      expect(s.getAcceptedRound()).toEqual(ballot(5, 3));
      expect(s.getDecidedIdx()).toBe(4);
      expect(s.getCompactedIdx()).toBe(2);
    });

    it('appends one entry and many entries at the end of the log', async () => {
      const s = await create();
      s.appendEntry(e(0));
      s.appendEntries(es(1, 4));
      s.appendEntries([]);
      s.appendEntry(e(4));
      expect(s.getLogLen()).toBe(5);
      expect(s.getEntries(0, 5)).toEqual(es(0, 5));
      expect(s.getSuffix(0)).toEqual(es(0, 5));
    });

    it('returns [from, to) from getEntries, clipped at the end, and [] past the end or when empty', async () => {
      const s = await withLog(5);
      expect(s.getEntries(1, 3)).toEqual(es(1, 3));
      expect(s.getEntries(3, 100)).toEqual(es(3, 5));
      expect(s.getEntries(5, 10)).toEqual([]);
      expect(s.getEntries(50, 60)).toEqual([]);
      expect(s.getEntries(3, 3)).toEqual([]);
      expect(s.getEntries(4, 2)).toEqual([]);
      expect(s.getSuffix(2)).toEqual(es(2, 5));
      expect(s.getSuffix(5)).toEqual([]);
      expect(s.getSuffix(9)).toEqual([]);
    });

    it('appendOnPrefix drops every entry from fromIdx on, then appends', async () => {
      const s = await withLog(6);
      s.appendOnPrefix(3, [e(30), e(31)]);
      expect(s.getSuffix(0)).toEqual([...es(0, 3), e(30), e(31)]);
      s.appendOnPrefix(5, [e(50)]);
      expect(s.getSuffix(0)).toEqual([...es(0, 3), e(30), e(31), e(50)]);
      s.appendOnPrefix(1, []);
      expect(s.getSuffix(0)).toEqual(es(0, 1));
      s.appendOnPrefix(0, es(10, 12));
      expect(s.getLogLen()).toBe(2);
      expect(s.getSuffix(0)).toEqual(es(10, 12));
    });

    it('keeps absolute indices across trims', async () => {
      const s = await withLog(10);
      s.trim(4);
      expect(s.getLogLen()).toBe(6);
      expect(s.getEntries(4, 6)).toEqual(es(4, 6));
      expect(s.getEntries(0, 6)).toEqual(es(4, 6));
      expect(s.getSuffix(0)).toEqual(es(4, 10));
      expect(s.getSuffix(8)).toEqual(es(8, 10));
      s.trim(2);
      s.trim(4);
      expect(s.getLogLen()).toBe(6);
      s.appendEntry(e(10));
      expect(s.getEntries(10, 11)).toEqual([e(10)]);
      s.trim(9);
      expect(s.getLogLen()).toBe(2);
      expect(s.getSuffix(0)).toEqual(es(9, 11));
      expect(s.getEntries(11, 20)).toEqual([]);
    });

    it('appendOnPrefix after a trim truncates at the absolute index', async () => {
      const s = await withLog(10);
      s.trim(5);
      s.appendOnPrefix(7, [e(70)]);
      expect(s.getLogLen()).toBe(3);
      expect(s.getSuffix(5)).toEqual([e(5), e(6), e(70)]);
      expect(s.getEntries(7, 8)).toEqual([e(70)]);
      s.appendOnPrefix(5, [e(80), e(81)]);
      expect(s.getSuffix(0)).toEqual([e(80), e(81)]);
      expect(s.getEntries(6, 7)).toEqual([e(81)]);
    });

    it('a trim past the end empties the log and later entries start at the trim index', async () => {
      const s = await withLog(3);
      s.trim(8);
      expect(s.getLogLen()).toBe(0);
      expect(s.getSuffix(0)).toEqual([]);
      s.appendOnPrefix(8, [e(8), e(9)]);
      expect(s.getLogLen()).toBe(2);
      expect(s.getEntries(8, 10)).toEqual(es(8, 10));
      expect(s.getEntries(0, 9)).toEqual([e(8)]);
    });

    it('keeps the stop sign apart from the entries, and clears it', async () => {
      const s = await withLog(2);
      s.setStopsign(stopSign());
      expect(s.getStopsign()).toEqual(stopSign());
      expect(s.getLogLen()).toBe(2);
      expect(s.getSuffix(0)).toEqual(es(0, 2));
      s.setStopsign(undefined);
      expect(s.getStopsign()).toBeUndefined();
    });

    it('keeps and clears the snapshot', async () => {
      const s = await create();
      s.setSnapshot(snap(7));
      expect(s.getSnapshot()).toEqual(snap(7));
      s.setSnapshot(snap(9));
      expect(s.getSnapshot()).toEqual(snap(9));
      s.setSnapshot(undefined);
      expect(s.getSnapshot()).toBeUndefined();
    });

    it('throws StorageError for negative or fractional indices', async () => {
      const s = await withLog(3);
      expect(() => s.trim(-1)).toThrow(StorageError);
      expect(() => s.setDecidedIdx(-1)).toThrow(StorageError);
      expect(() => s.setCompactedIdx(1.5)).toThrow(StorageError);
      expect(() => s.appendOnPrefix(Number.NaN, [e(9)])).toThrow(StorageError);
      expect(s.getSuffix(0)).toEqual(es(0, 3));
    });

    it('writeAtomically applies every op in order', async () => {
      const s = await withLog(6);
      s.writeAtomically([
        { op: 'SetAcceptedRound', ballot: ballot(4) },
        { op: 'AppendOnPrefix', fromIdx: 4, entries: [e(40), e(41), e(42)] },
        { op: 'AppendEntry', entry: e(43) },
        { op: 'AppendEntries', entries: [e(44)] },
        { op: 'SetPromise', ballot: ballot(4) },
        { op: 'SetSnapshot', snapshot: snap(3) },
        { op: 'Trim', idx: 3 },
        { op: 'SetCompactedIdx', idx: 3 },
        { op: 'SetDecidedIdx', idx: 5 },
        { op: 'SetStopsign', stopSign: stopSign() },
      ]);
      expect(view(s)).toEqual({
        promise: ballot(4),
        acceptedRound: ballot(4),
        decidedIdx: 5,
        compactedIdx: 3,
        logLen: 6,
        entries: [e(3), e(40), e(41), e(42), e(43), e(44)],
        stopSign: stopSign(),
        snapshot: snap(3),
      });
      s.writeAtomically([]);
      expect(s.getLogLen()).toBe(6);
    });

    const failingBatches: [string, (st: Storage<T, S>) => StorageOp<T, S>[]][] = [
      ['a negative decided index at the end', () => [{ op: 'SetDecidedIdx', idx: -1 }]],
      ['a NaN appendOnPrefix index', () => [{ op: 'AppendOnPrefix', fromIdx: Number.NaN, entries: [e(99)] }]],
      ['a negative trim', () => [{ op: 'Trim', idx: -4 }]],
    ];
    if (factory.failingEntry !== undefined) {
      const bad = factory.failingEntry;
      failingBatches.push(['an entry the storage cannot write', () => [{ op: 'AppendEntries', entries: [e(98), bad] }]]);
    }
    for (const [what, failing] of failingBatches) {
      for (const fresh of [false, true]) {
        it(`writeAtomically applies nothing when it holds ${what}${fresh ? ' (fresh storage)' : ''}`, async () => {
          const s = await create();
          if (!fresh) {
            s.appendEntries(es(0, 8));
            s.setPromise(ballot(2));
            s.setAcceptedRound(ballot(2));
            s.setDecidedIdx(3);
            s.trim(1);
            s.setCompactedIdx(1);
            s.setSnapshot(snap(1));
          }
          const before = view(s);
          const ops: StorageOp<T, S>[] = [
            { op: 'SetPromise', ballot: ballot(9) },
            { op: 'SetAcceptedRound', ballot: ballot(9) },
            { op: 'AppendOnPrefix', fromIdx: 2, entries: [e(20)] },
            { op: 'AppendEntry', entry: e(21) },
            { op: 'Trim', idx: 2 },
            { op: 'SetCompactedIdx', idx: 2 },
            { op: 'SetStopsign', stopSign: stopSign() },
            { op: 'SetSnapshot', snapshot: snap(2) },
            ...failing(s),
            { op: 'SetDecidedIdx', idx: 2 },
          ];
          expect(() => s.writeAtomically(ops)).toThrow(StorageError);
          expect(view(s)).toEqual(before);
          s.appendEntry(e(50));
          expect(s.getSuffix(0)).toEqual([...before.entries, e(50)]);
        });
      }
    }

    it('flush (when present) resolves and changes nothing visible', async () => {
      const s = await withLog(3);
      s.setDecidedIdx(2);
      const before = view(s);
      await s.flush?.();
      await s.flush?.();
      expect(view(s)).toEqual(before);
      s.appendEntry(e(3));
      expect(s.getEntries(3, 4)).toEqual([e(3)]);
    });

    it('handles a large batch', async () => {
      const s = await create();
      s.writeAtomically([{ op: 'AppendEntries', entries: es(0, 2000) }]);
      expect(s.getLogLen()).toBe(2000);
      expect(s.getEntries(1990, 3000)).toEqual(es(1990, 2000));
      expect(s.getSuffix(0)).toEqual(es(0, 2000));
    });

    if (factory.reopen) {
      it('restores everything after close and reopen', async () => {
        let s = await withLog(10);
        s.writeAtomically([
          { op: 'SetPromise', ballot: ballot(7, 3) },
          { op: 'SetAcceptedRound', ballot: ballot(6, 2) },
          { op: 'SetDecidedIdx', idx: 8 },
          { op: 'SetSnapshot', snapshot: snap(4) },
          { op: 'Trim', idx: 4 },
          { op: 'SetCompactedIdx', idx: 4 },
          { op: 'SetStopsign', stopSign: stopSign() },
        ]);
        const before = view(s);
        s = await reopen(s);
        expect(view(s)).toEqual(before);
        expect(s.getEntries(4, 6)).toEqual(es(4, 6));
      });

      it('continues at the absolute end after reopen, across repeated reopen cycles', async () => {
        let s = await create();
        for (let round = 0; round < 5; round++) {
          s.appendEntries(es(round * 10, round * 10 + 10));
          s.trim(round * 10 + 5);
          s.setCompactedIdx(round * 10 + 5);
          s.setDecidedIdx(round * 10 + 10);
          s = await reopen(s);
          expect(s.getLogLen()).toBe(5);
          expect(s.getSuffix(0)).toEqual(es(round * 10 + 5, round * 10 + 10));
        }
        s.appendOnPrefix(47, [e(470)]);
        s = await reopen(s);
        expect(s.getSuffix(0)).toEqual([e(45), e(46), e(470)]);
        expect(s.getDecidedIdx()).toBe(50);
      });

      it('restores an empty log trimmed past its end, and cleared values', async () => {
        let s = await withLog(3);
        s.setStopsign(stopSign());
        s.setSnapshot(snap(1));
        s.trim(6);
        s.setStopsign(undefined);
        s.setSnapshot(undefined);
        s = await reopen(s);
        expect(s.getLogLen()).toBe(0);
        expect(s.getStopsign()).toBeUndefined();
        expect(s.getSnapshot()).toBeUndefined();
        s.appendOnPrefix(6, [e(6)]);
        expect(s.getEntries(6, 7)).toEqual([e(6)]);
      });

      it('keeps nothing of a failed writeAtomically after reopen', async () => {
        let s = await withLog(4);
        s.setDecidedIdx(2);
        expect(() =>
          s.writeAtomically([
            { op: 'AppendEntries', entries: es(4, 8) },
            { op: 'SetDecidedIdx', idx: -1 },
          ]),
        ).toThrow(StorageError);
        s = await reopen(s);
        expect(s.getSuffix(0)).toEqual(es(0, 4));
        expect(s.getDecidedIdx()).toBe(2);
      });
    }
  });
}
