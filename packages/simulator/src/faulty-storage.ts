import { type Ballot, type Storage, StorageError, type StopSign, type StorageOp } from '@omnipaxos/core';

/**
 * FaultyStorage wraps a Storage and makes the n-th write (counting every write call, including
 * `writeAtomically` as one) throw a StorageError before it reaches the inner storage. It shows that
 * the replica's state stays consistent when a write fails.
 */
export class FaultyStorage<T, S = never> implements Storage<T, S> {
  /** Number of write calls seen so far. */
  writes = 0;
  /** The write number (1-based) that fails next, if any. */
  failAt: number | undefined;

  constructor(readonly inner: Storage<T, S>) {}

  /** failNthWriteFromNow makes the n-th write from now throw (n = 1: the next write). */
  failNthWriteFromNow(n: number): void {
    this.failAt = this.writes + n;
  }

  private write(what: string, fn: () => void): void {
    this.writes += 1;
    if (this.failAt !== undefined && this.writes === this.failAt) {
      this.failAt = undefined;
      throw new StorageError(`injected failure on write #${this.writes} (${what})`);
    }
    fn();
  }

  writeAtomically(ops: StorageOp<T, S>[]): void {
    this.write('writeAtomically', () => this.inner.writeAtomically(ops));
  }
  appendEntry(entry: T): void {
    this.write('appendEntry', () => this.inner.appendEntry(entry));
  }
  appendEntries(entries: T[]): void {
    this.write('appendEntries', () => this.inner.appendEntries(entries));
  }
  appendOnPrefix(fromIdx: number, entries: T[]): void {
    this.write('appendOnPrefix', () => this.inner.appendOnPrefix(fromIdx, entries));
  }
  setPromise(ballot: Ballot): void {
    this.write('setPromise', () => this.inner.setPromise(ballot));
  }
  setDecidedIdx(idx: number): void {
    this.write('setDecidedIdx', () => this.inner.setDecidedIdx(idx));
  }
  setAcceptedRound(ballot: Ballot): void {
    this.write('setAcceptedRound', () => this.inner.setAcceptedRound(ballot));
  }
  setStopsign(stopSign: StopSign | undefined): void {
    this.write('setStopsign', () => this.inner.setStopsign(stopSign));
  }
  trim(idx: number): void {
    this.write('trim', () => this.inner.trim(idx));
  }
  setCompactedIdx(idx: number): void {
    this.write('setCompactedIdx', () => this.inner.setCompactedIdx(idx));
  }
  setSnapshot(snapshot: S | undefined): void {
    this.write('setSnapshot', () => this.inner.setSnapshot(snapshot));
  }
  getPromise(): Ballot | undefined {
    return this.inner.getPromise();
  }
  getDecidedIdx(): number {
    return this.inner.getDecidedIdx();
  }
  getAcceptedRound(): Ballot | undefined {
    return this.inner.getAcceptedRound();
  }
  getEntries(from: number, to: number): T[] {
    return this.inner.getEntries(from, to);
  }
  getLogLen(): number {
    return this.inner.getLogLen();
  }
  getSuffix(from: number): T[] {
    return this.inner.getSuffix(from);
  }
  getStopsign(): StopSign | undefined {
    return this.inner.getStopsign();
  }
  getCompactedIdx(): number {
    return this.inner.getCompactedIdx();
  }
  getSnapshot(): S | undefined {
    return this.inner.getSnapshot();
  }
}
