import { MemoryStorage, type StorageOp } from '@omnipaxos/core';

/** FaultyStorage is a MemoryStorage whose next write throws while `armed` (then it disarms itself). */
export class FaultyStorage<T> extends MemoryStorage<T> {
  armed = false;
  failures = 0;

  private trip(): void {
    if (!this.armed) return;
    this.armed = false;
    this.failures += 1;
    throw new Error('injected disk failure');
  }

  override writeAtomically(ops: StorageOp<T, never>[]): void {
    this.trip();
    super.writeAtomically(ops);
  }

  override appendEntries(entries: T[]): void {
    this.trip();
    super.appendEntries(entries);
  }

  override setDecidedIdx(idx: number): void {
    this.trip();
    super.setDecidedIdx(idx);
  }
}
