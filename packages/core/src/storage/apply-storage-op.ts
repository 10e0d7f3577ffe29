import type { Storage, StorageOp } from './storage.js';

/** applyStorageOp performs one op on a storage through its single-write methods. */
export function applyStorageOp<T, S>(storage: Storage<T, S>, op: StorageOp<T, S>): void {
  switch (op.op) {
    case 'AppendEntry':
      return storage.appendEntry(op.entry);
    case 'AppendEntries':
      return storage.appendEntries(op.entries);
    case 'AppendOnPrefix':
      return storage.appendOnPrefix(op.fromIdx, op.entries);
    case 'SetPromise':
      return storage.setPromise(op.ballot);
    case 'SetDecidedIdx':
      return storage.setDecidedIdx(op.idx);
    case 'SetAcceptedRound':
      return storage.setAcceptedRound(op.ballot);
    case 'SetCompactedIdx':
      return storage.setCompactedIdx(op.idx);
    case 'Trim':
      return storage.trim(op.idx);
    case 'SetStopsign':
      return storage.setStopsign(op.stopSign);
    case 'SetSnapshot':
      return storage.setSnapshot(op.snapshot);
  }
}
