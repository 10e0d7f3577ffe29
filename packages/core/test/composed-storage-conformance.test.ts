import { type Ballot, type PaxosState, type Sequence, type StopSign, Storage, StorageError } from '@omnipaxos/core';
import { type ConformanceEntry, type ConformanceSnapshot, describeStorageConformance } from '@omnipaxos/simulator/storage-conformance';

function checkIndex(idx: number): void {
  if (!Number.isSafeInteger(idx) || idx < 0) throw new StorageError(`bad index ${String(idx)}`);
}

/** ArraySequence is a minimal in-memory Sequence: `log[i]` holds absolute index `i + offset`. */
class ArraySequence<T> implements Sequence<T> {
  private log: T[] = [];
  private offset = 0;
  appendEntry(entry: T): void {
    this.log.push(entry);
  }
  appendEntries(entries: T[]): void {
    this.log.push(...entries);
  }
  appendOnPrefix(fromIdx: number, entries: T[]): void {
    checkIndex(fromIdx);
    this.log.length = Math.min(this.log.length, Math.max(0, fromIdx - this.offset));
    this.log.push(...entries);
  }
  getEntries(from: number, to: number): T[] {
    const start = Math.max(0, from - this.offset);
    return this.log.slice(start, Math.max(start, to - this.offset));
  }
  getLogLen(): number {
    return this.log.length;
  }
  getSuffix(from: number): T[] {
    return this.log.slice(Math.max(0, from - this.offset));
  }
  trim(idx: number): void {
    checkIndex(idx);
    if (idx <= this.offset) return;
    this.log.splice(0, Math.min(idx - this.offset, this.log.length));
    this.offset = idx;
  }
}

/** ObjectPaxosState is a minimal in-memory PaxosState. */
class ObjectPaxosState<S> implements PaxosState<S> {
  private promise: Ballot | undefined;
  private acceptedRound: Ballot | undefined;
  private decidedIdx = 0;
  private compactedIdx = 0;
  private stopSign: StopSign | undefined;
  private snapshot: S | undefined;
  setPromise(ballot: Ballot): void {
    this.promise = { ...ballot };
  }
  getPromise(): Ballot | undefined {
    return this.promise && { ...this.promise };
  }
  setDecidedIdx(idx: number): void {
    checkIndex(idx);
    this.decidedIdx = idx;
  }
  getDecidedIdx(): number {
    return this.decidedIdx;
  }
  setAcceptedRound(ballot: Ballot): void {
    this.acceptedRound = { ...ballot };
  }
  getAcceptedRound(): Ballot | undefined {
    return this.acceptedRound && { ...this.acceptedRound };
  }
  setCompactedIdx(idx: number): void {
    checkIndex(idx);
    this.compactedIdx = idx;
  }
  getCompactedIdx(): number {
    return this.compactedIdx;
  }
  setStopsign(stopSign: StopSign | undefined): void {
    this.stopSign = stopSign;
  }
  getStopsign(): StopSign | undefined {
    return this.stopSign;
  }
  setSnapshot(snapshot: S | undefined): void {
    this.snapshot = snapshot;
  }
  getSnapshot(): S | undefined {
    return this.snapshot;
  }
}

// No `failingEntry` here: when a half throws mid-batch on a storage that never held a promise, the
// promise written earlier in the batch cannot be cleared (PaxosState has no way to unset it), so the
// fresh-storage atomicity case would fail. Invalid indices are caught before anything is applied.
describeStorageConformance<ConformanceEntry, ConformanceSnapshot>('Storage.with(sequence, paxosState)', {
  create: () =>
    Storage.with<ConformanceEntry, ConformanceSnapshot>(
      new ArraySequence<ConformanceEntry>(),
      new ObjectPaxosState<ConformanceSnapshot>(),
    ),
});
