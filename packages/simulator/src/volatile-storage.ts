import {
  type Ballot,
  MemoryStorage,
  type Storage,
  type StopSign,
  type StorageOp,
} from '@omnipaxos/core';

/**
 * VolatileStorage models a disk with a write cache, as a driver with group commit sees it: writes are
 * visible at once (reads see them), become durable only at `persist()`, and `loseUnflushed()` — a
 * crash — drops every write since the last persist. The simulator uses it for its `deferred`
 * durability mode, where the leader sends accepts before its own writes are durable.
 */
export class VolatileStorage<T, S = never> implements Storage<T, S> {
  private working = new MemoryStorage<T, S>();
  /** Every write made durable so far, in order: a crash rebuilds the storage from them. */
  private readonly durable: StorageOp<T, S>[] = [];
  private pending: StorageOp<T, S>[] = [];
  /** What a crash now would leave: the durable writes applied. */
  private readonly durableStore = new MemoryStorage<T, S>();

  /** hasUnflushedWrites is true when a crash now would lose writes. */
  hasUnflushedWrites(): boolean {
    return this.pending.length > 0;
  }

  /** persist makes every write so far durable (one flush). */
  persist(): void {
    if (this.pending.length > 0) this.durableStore.writeAtomically(structuredClone(this.pending));
    for (const op of this.pending) this.durable.push(op);
    this.pending = [];
  }

  /** durableView reads what a crash now would leave (do not write to it). */
  durableView(): Storage<T, S> {
    return this.durableStore;
  }

  /** loseUnflushed drops the writes since the last persist, as a crash does; returns how many were lost. */
  loseUnflushed(): number {
    const lost = this.pending.length;
    this.pending = [];
    this.working = new MemoryStorage<T, S>();
    this.working.writeAtomically(this.durable);
    return lost;
  }

  private record(op: StorageOp<T, S>): void {
    const copy = structuredClone(op);
    this.working.writeAtomically([op]);
    this.pending.push(copy);
  }

  writeAtomically(ops: StorageOp<T, S>[]): void {
    const copies = structuredClone(ops);
    this.working.writeAtomically(ops);
    for (const op of copies) this.pending.push(op);
  }
  appendEntry(entry: T): void {
    this.record({ op: 'AppendEntry', entry });
  }
  appendEntries(entries: T[]): void {
    this.record({ op: 'AppendEntries', entries });
  }
  appendOnPrefix(fromIdx: number, entries: T[]): void {
    this.record({ op: 'AppendOnPrefix', fromIdx, entries });
  }
  setPromise(ballot: Ballot): void {
    this.record({ op: 'SetPromise', ballot });
  }
  setDecidedIdx(idx: number): void {
    this.record({ op: 'SetDecidedIdx', idx });
  }
  setAcceptedRound(ballot: Ballot): void {
    this.record({ op: 'SetAcceptedRound', ballot });
  }
  setStopsign(stopSign: StopSign | undefined): void {
    this.record({ op: 'SetStopsign', stopSign });
  }
  trim(idx: number): void {
    this.record({ op: 'Trim', idx });
  }
  setCompactedIdx(idx: number): void {
    this.record({ op: 'SetCompactedIdx', idx });
  }
  setSnapshot(snapshot: S | undefined): void {
    this.record({ op: 'SetSnapshot', snapshot });
  }
  getPromise(): Ballot | undefined {
    return this.working.getPromise();
  }
  getDecidedIdx(): number {
    return this.working.getDecidedIdx();
  }
  getAcceptedRound(): Ballot | undefined {
    return this.working.getAcceptedRound();
  }
  getEntries(from: number, to: number): T[] {
    return this.working.getEntries(from, to);
  }
  getLogLen(): number {
    return this.working.getLogLen();
  }
  getSuffix(from: number): T[] {
    return this.working.getSuffix(from);
  }
  getStopsign(): StopSign | undefined {
    return this.working.getStopsign();
  }
  getCompactedIdx(): number {
    return this.working.getCompactedIdx();
  }
  getSnapshot(): S | undefined {
    return this.working.getSnapshot();
  }
}
