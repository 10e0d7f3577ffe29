import { type Ballot, copyBallot } from '../ballot.js';
import { StorageError } from '../errors.js';
import type { StopSign } from '../log-entry.js';
import { applyStorageOp } from './apply-storage-op.js';
import type { Storage, StorageOp } from './storage.js';

function checkIndex(name: string, idx: number): void {
  if (!Number.isSafeInteger(idx) || idx < 0) {
    throw new StorageError(`${name}: index must be a non-negative integer, got ${String(idx)}`);
  }
}

/**
 * MemoryStorage keeps everything in memory: for tests, simulations and replicas whose durability
 * comes from the other servers. `log[i]` holds absolute index `i + trimmedIdx`.
 */
export class MemoryStorage<T, S = never> implements Storage<T, S> {
  private log: T[] = [];
  private trimmedIdx = 0;
  private promise: Ballot | undefined;
  private acceptedRound: Ballot | undefined;
  private decidedIdx = 0;
  private compactedIdx = 0;
  private stopSign: StopSign | undefined;
  private snapshot: S | undefined;

  writeAtomically(ops: StorageOp<T, S>[]): void {
    // Validate first: after this, no op below can fail, so the batch is all-or-nothing.
    for (const op of ops) {
      if (op.op === 'AppendOnPrefix') {
        checkIndex('appendOnPrefix', op.fromIdx);
      } else if (op.op === 'Trim' || op.op === 'SetCompactedIdx' || op.op === 'SetDecidedIdx') {
        checkIndex(op.op, op.idx);
      }
    }
    for (const op of ops) applyStorageOp(this, op);
  }

  appendEntry(entry: T): void {
    this.log.push(entry);
  }

  appendEntries(entries: T[]): void {
    for (let i = 0; i < entries.length; i++) this.log.push(entries[i] as T);
  }

  appendOnPrefix(fromIdx: number, entries: T[]): void {
    checkIndex('appendOnPrefix', fromIdx);
    this.log.length = Math.min(this.log.length, Math.max(0, fromIdx - this.trimmedIdx));
    this.appendEntries(entries);
  }

  setPromise(ballot: Ballot): void {
    this.promise = copyBallot(ballot);
  }

  getPromise(): Ballot | undefined {
    return this.promise && copyBallot(this.promise);
  }

  setDecidedIdx(idx: number): void {
    checkIndex('setDecidedIdx', idx);
    this.decidedIdx = idx;
  }

  getDecidedIdx(): number {
    return this.decidedIdx;
  }

  setAcceptedRound(ballot: Ballot): void {
    this.acceptedRound = copyBallot(ballot);
  }

  getAcceptedRound(): Ballot | undefined {
    return this.acceptedRound && copyBallot(this.acceptedRound);
  }

  getEntries(from: number, to: number): T[] {
    const start = Math.max(0, from - this.trimmedIdx);
    const end = Math.max(start, to - this.trimmedIdx);
    return this.log.slice(start, end);
  }

  getLogLen(): number {
    return this.log.length;
  }

  getSuffix(from: number): T[] {
    return this.log.slice(Math.max(0, from - this.trimmedIdx));
  }

  setStopsign(stopSign: StopSign | undefined): void {
    this.stopSign = stopSign;
  }

  getStopsign(): StopSign | undefined {
    return this.stopSign;
  }

  trim(idx: number): void {
    checkIndex('trim', idx);
    if (idx <= this.trimmedIdx) return;
    const count = Math.min(idx - this.trimmedIdx, this.log.length);
    this.log.splice(0, count);
    this.trimmedIdx = idx;
  }

  setCompactedIdx(idx: number): void {
    checkIndex('setCompactedIdx', idx);
    this.compactedIdx = idx;
  }

  getCompactedIdx(): number {
    return this.compactedIdx;
  }

  setSnapshot(snapshot: S | undefined): void {
    this.snapshot = snapshot;
  }

  getSnapshot(): S | undefined {
    return this.snapshot;
  }
}
