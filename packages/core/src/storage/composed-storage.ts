import type { Ballot } from '../ballot.js';
import { StorageError } from '../errors.js';
import type { StopSign } from '../log-entry.js';
import { applyStorageOp } from './apply-storage-op.js';
import type { Storage, StorageOp } from './storage.js';

/** Sequence is the log half of a storage, as in the seed design: absolute indices, trimmable prefix. */
export interface Sequence<T> {
  appendEntry(entry: T): void;
  appendEntries(entries: T[]): void;
  appendOnPrefix(fromIdx: number, entries: T[]): void;
  getEntries(from: number, to: number): T[];
  getLogLen(): number;
  getSuffix(from: number): T[];
  trim(idx: number): void;
}

/** PaxosState is the state half of a storage: promise, accepted round, indices, stop sign, snapshot. */
export interface PaxosState<S = never> {
  setPromise(ballot: Ballot): void;
  getPromise(): Ballot | undefined;
  setDecidedIdx(idx: number): void;
  getDecidedIdx(): number;
  setAcceptedRound(ballot: Ballot): void;
  getAcceptedRound(): Ballot | undefined;
  setCompactedIdx(idx: number): void;
  getCompactedIdx(): number;
  setStopsign(stopSign: StopSign | undefined): void;
  getStopsign(): StopSign | undefined;
  setSnapshot(snapshot: S | undefined): void;
  getSnapshot(): S | undefined;
  flush?(): Promise<void>;
}

function checkIndex(name: string, idx: number): void {
  if (!Number.isSafeInteger(idx) || idx < 0) {
    throw new StorageError(`${name}: index must be a non-negative integer, got ${String(idx)}`);
  }
}

interface StateBackup<S> {
  promise: Ballot | undefined;
  acceptedRound: Ballot | undefined;
  decidedIdx: number;
  compactedIdx: number;
  stopSign: StopSign | undefined;
  snapshot: S | undefined;
}

/**
 * ComposedStorage is a Storage made of a Sequence and a PaxosState. `writeAtomically` restores the
 * state half and the overwritten log suffix when an op fails; trims run last, since a trim cannot be
 * undone.
 */
export class ComposedStorage<T, S = never> implements Storage<T, S> {
  constructor(
    readonly sequence: Sequence<T>,
    readonly paxosState: PaxosState<S>,
  ) {}

  writeAtomically(ops: StorageOp<T, S>[]): void {
    // Validate indices first, as MemoryStorage does: an invalid batch fails before anything (a trim
    // in particular, which cannot be undone) is applied.
    for (const op of ops) {
      if (op.op === 'AppendOnPrefix') checkIndex('appendOnPrefix', op.fromIdx);
      else if (op.op === 'Trim' || op.op === 'SetCompactedIdx' || op.op === 'SetDecidedIdx') checkIndex(op.op, op.idx);
    }
    const backup = this.backupState();
    const logStart = this.paxosState.getCompactedIdx();
    const logEnd = this.logEnd();
    // The earliest index any op rewrites: its old suffix is kept so that a failure can put it back.
    let rewriteFrom = logEnd;
    for (const op of ops) if (op.op === 'AppendOnPrefix') rewriteFrom = Math.min(rewriteFrom, op.fromIdx);
    const oldSuffix = rewriteFrom < logEnd ? this.sequence.getSuffix(rewriteFrom) : [];
    const ordered = [...ops.filter((o) => o.op !== 'Trim'), ...ops.filter((o) => o.op === 'Trim')];
    try {
      for (const op of ordered) applyStorageOp(this, op);
    } catch (err) {
      try {
        this.sequence.appendOnPrefix(Math.max(rewriteFrom, logStart), oldSuffix);
        this.restoreState(backup);
      } catch (rollbackErr) {
        throw new StorageError('writeAtomically failed and could not roll back', { cause: rollbackErr });
      }
      throw err instanceof StorageError ? err : new StorageError('writeAtomically failed', { cause: err });
    }
  }

  private logEnd(): number {
    return this.paxosState.getCompactedIdx() + this.sequence.getLogLen();
  }

  private backupState(): StateBackup<S> {
    const p = this.paxosState;
    return {
      promise: p.getPromise(),
      acceptedRound: p.getAcceptedRound(),
      decidedIdx: p.getDecidedIdx(),
      compactedIdx: p.getCompactedIdx(),
      stopSign: p.getStopsign(),
      snapshot: p.getSnapshot(),
    };
  }

  private restoreState(b: StateBackup<S>): void {
    const p = this.paxosState;
    if (b.promise) p.setPromise(b.promise);
    if (b.acceptedRound) p.setAcceptedRound(b.acceptedRound);
    p.setDecidedIdx(b.decidedIdx);
    p.setCompactedIdx(b.compactedIdx);
    p.setStopsign(b.stopSign);
    p.setSnapshot(b.snapshot);
  }

  appendEntry(entry: T): void {
    this.sequence.appendEntry(entry);
  }
  appendEntries(entries: T[]): void {
    this.sequence.appendEntries(entries);
  }
  appendOnPrefix(fromIdx: number, entries: T[]): void {
    this.sequence.appendOnPrefix(fromIdx, entries);
  }
  getEntries(from: number, to: number): T[] {
    return this.sequence.getEntries(from, to);
  }
  getLogLen(): number {
    return this.sequence.getLogLen();
  }
  getSuffix(from: number): T[] {
    return this.sequence.getSuffix(from);
  }
  trim(idx: number): void {
    this.sequence.trim(idx);
  }
  setPromise(ballot: Ballot): void {
    this.paxosState.setPromise(ballot);
  }
  getPromise(): Ballot | undefined {
    return this.paxosState.getPromise();
  }
  setDecidedIdx(idx: number): void {
    this.paxosState.setDecidedIdx(idx);
  }
  getDecidedIdx(): number {
    return this.paxosState.getDecidedIdx();
  }
  setAcceptedRound(ballot: Ballot): void {
    this.paxosState.setAcceptedRound(ballot);
  }
  getAcceptedRound(): Ballot | undefined {
    return this.paxosState.getAcceptedRound();
  }
  setCompactedIdx(idx: number): void {
    this.paxosState.setCompactedIdx(idx);
  }
  getCompactedIdx(): number {
    return this.paxosState.getCompactedIdx();
  }
  setStopsign(stopSign: StopSign | undefined): void {
    this.paxosState.setStopsign(stopSign);
  }
  getStopsign(): StopSign | undefined {
    return this.paxosState.getStopsign();
  }
  setSnapshot(snapshot: S | undefined): void {
    this.paxosState.setSnapshot(snapshot);
  }
  getSnapshot(): S | undefined {
    return this.paxosState.getSnapshot();
  }
  flush(): Promise<void> {
    return this.paxosState.flush ? this.paxosState.flush() : Promise.resolve();
  }
}
