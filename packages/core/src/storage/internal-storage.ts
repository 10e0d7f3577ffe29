import { type Ballot, ZERO_BALLOT, copyBallot } from '../ballot.js';
import { CompactionError, InvariantError, StorageError } from '../errors.js';
import type { SnapshotLogic, StopSign } from '../log-entry.js';
import type { LogSync, SnapshotTransfer } from '../messages.js';
import type { Storage, StorageOp } from './storage.js';

/**
 * InternalStorage is the replica's view of its Storage: a cache of the Paxos state in front of it,
 * the batch of entries not yet written, and the log operations of Sequence Paxos.
 *
 * Invariants: `acceptedIdx` = compactedIdx + storage.getLogLen() (+1 when a stop sign is held);
 * the stop sign, when present, sits at index acceptedIdx - 1; decidedIdx <= acceptedIdx.
 * Every write goes to storage before the cache changes, so a failed write leaves the cache equal
 * to what storage holds.
 */
export class InternalStorage<T, S> {
  promise: Ballot;
  acceptedRound: Ballot;
  decidedIdx: number;
  acceptedIdx: number;
  compactedIdx: number;
  stopSign: StopSign | undefined;
  /** Entries appended but not yet written, waiting for a full batch. */
  batch: T[] = [];

  constructor(
    readonly storage: Storage<T, S>,
    readonly batchSize: number,
    readonly snapshotLogic: SnapshotLogic<T, S> | undefined,
  ) {
    try {
      this.promise = storage.getPromise() ?? copyBallot(ZERO_BALLOT);
      this.acceptedRound = storage.getAcceptedRound() ?? copyBallot(ZERO_BALLOT);
      this.decidedIdx = storage.getDecidedIdx();
      this.compactedIdx = storage.getCompactedIdx();
      this.stopSign = storage.getStopsign();
      this.acceptedIdx = this.compactedIdx + storage.getLogLen() + (this.stopSign ? 1 : 0);
    } catch (err) {
      throw asStorageError('reading the replica state from storage failed', err);
    }
    if (this.decidedIdx > this.acceptedIdx) {
      throw new InvariantError(
        `storage holds decided index ${this.decidedIdx} beyond its log end ${this.acceptedIdx}`,
      );
    }
  }

  /** usesSnapshots is true when the application gave snapshot logic. */
  get usesSnapshots(): boolean {
    return this.snapshotLogic !== undefined;
  }

  /** stopSignIsDecided is true when the stop sign is held and decided. */
  stopSignIsDecided(): boolean {
    return this.stopSign !== undefined && this.decidedIdx === this.acceptedIdx;
  }

  /** decidedIdxWithoutStopSign is the decided index counting entries only. */
  decidedIdxWithoutStopSign(): number {
    return this.stopSignIsDecided() ? this.decidedIdx - 1 : this.decidedIdx;
  }

  /** write runs a storage call and turns any failure into a StorageError. */
  write(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      throw asStorageError(`storage write failed: ${what}`, err);
    }
  }

  /** read runs a storage read and turns any failure into a StorageError. */
  read<R>(what: string, fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      throw asStorageError(`storage read failed: ${what}`, err);
    }
  }

  setPromise(n: Ballot): void {
    const b = copyBallot(n);
    this.write('setPromise', () => this.storage.setPromise(b));
    this.promise = b;
  }

  setDecidedIdx(idx: number): void {
    if (idx > this.acceptedIdx) {
      throw new InvariantError(`decided index ${idx} would pass the accepted index ${this.acceptedIdx}`);
    }
    this.write('setDecidedIdx', () => this.storage.setDecidedIdx(idx));
    this.decidedIdx = idx;
  }

  /** appendToBatch adds entries to the batch; returns the batch if it is now full (and empties it). */
  appendToBatch(entries: T[]): T[] | undefined {
    if (this.batchSize <= 1 && this.batch.length === 0) return entries;
    for (let i = 0; i < entries.length; i++) this.batch.push(entries[i] as T);
    if (this.batch.length >= this.batchSize) return this.takeBatch();
    return undefined;
  }

  /** takeBatch empties the batch and returns what it held. */
  takeBatch(): T[] {
    const b = this.batch;
    this.batch = [];
    return b;
  }

  /** appendEntries writes entries at the end of the log and returns the new accepted index. */
  appendEntries(entries: T[]): number {
    if (entries.length === 0) return this.acceptedIdx;
    if (this.stopSign) throw new InvariantError('appending entries after a stop sign');
    this.write('appendEntries', () => this.storage.appendEntries(entries));
    this.acceptedIdx += entries.length;
    return this.acceptedIdx;
  }

  /** flushBatch writes any batched entries and returns the accepted index. */
  flushBatch(): number {
    return this.appendEntries(this.takeBatch());
  }

  /** setStopSign writes (or clears) the stop sign and returns the accepted index. */
  setStopSign(ss: StopSign | undefined): number {
    this.write('setStopsign', () => this.storage.setStopsign(ss));
    if (ss && !this.stopSign) this.acceptedIdx += 1;
    else if (!ss && this.stopSign) this.acceptedIdx -= 1;
    this.stopSign = ss;
    return this.acceptedIdx;
  }

  getEntries(from: number, to: number): T[] {
    return this.read('getEntries', () => this.storage.getEntries(from, to));
  }

  getSuffix(from: number): T[] {
    return this.read('getSuffix', () => this.storage.getSuffix(from));
  }

  getSnapshot(): S | undefined {
    return this.read('getSnapshot', () => this.storage.getSnapshot());
  }

  /**
   * canApplySync tells whether `sync` fits this log: without a snapshot or trim it must start at or
   * before the end of our entries, or its suffix would land at the wrong indices.
   */
  canApplySync(sync: LogSync<T, S>): boolean {
    const snap = sync.decidedSnapshot;
    if (snap?.kind === 'Delta') {
      // A delta holds the entries from fromIdx on: merged onto a log decided further, it would
      // count the entries in between twice (a sync computed from an older, delayed promise).
      return snap.fromIdx === this.decidedIdxWithoutStopSign() || snap.fromIdx === this.decidedIdx;
    }
    if (snap || sync.trimmed) return true;
    const entriesEnd = this.acceptedIdx - (this.stopSign ? 1 : 0);
    return sync.syncIdx <= entriesEnd && sync.syncIdx >= this.compactedIdx;
  }

  /**
   * syncLog adopts a leader's (or the most up-to-date promiser's) log in one atomic write: the
   * accepted round, the decided index, the snapshot, the suffix from `syncIdx`, and the stop sign.
   * Returns the new accepted index.
   */
  syncLog(acceptedRound: Ballot, decidedIdx: number, sync: LogSync<T, S> | undefined): number {
    const ops: StorageOp<T, S>[] = [{ op: 'SetAcceptedRound', ballot: copyBallot(acceptedRound) }];
    let compactedIdx = this.compactedIdx;
    let acceptedIdx = this.acceptedIdx;
    let stopSign = this.stopSign;
    if (sync) {
      if (sync.decidedSnapshot) {
        const snapshot = this.installSnapshot(sync.decidedSnapshot);
        compactedIdx = sync.syncIdx;
        ops.push({ op: 'SetSnapshot', snapshot });
        ops.push({ op: 'Trim', idx: sync.syncIdx });
        ops.push({ op: 'SetCompactedIdx', idx: sync.syncIdx });
      } else if (sync.trimmed && sync.syncIdx > this.compactedIdx) {
        compactedIdx = sync.syncIdx;
        ops.push({ op: 'SetSnapshot', snapshot: undefined });
        ops.push({ op: 'Trim', idx: sync.syncIdx });
        ops.push({ op: 'SetCompactedIdx', idx: sync.syncIdx });
      } else if (sync.syncIdx < this.compactedIdx) {
        throw new InvariantError(`log sync from ${sync.syncIdx} reaches into the compacted prefix`);
      }
      ops.push({ op: 'AppendOnPrefix', fromIdx: sync.syncIdx, entries: sync.suffix });
      acceptedIdx = sync.syncIdx + sync.suffix.length;
      if (sync.stopSign) {
        stopSign = sync.stopSign;
        acceptedIdx += 1;
        ops.push({ op: 'SetStopsign', stopSign: sync.stopSign });
      } else if (stopSign) {
        stopSign = undefined;
        ops.push({ op: 'SetStopsign', stopSign: undefined });
      }
    }
    // A decided prefix stays decided: the sync never rewrites before our decided index. A compacted
    // prefix is decided too (only decided entries are trimmed or snapshotted): a snapshot adopted from
    // a promise whose sender decided more than the promises counted now still moves our decided index
    // to its end, or the log would be compacted past its decided index (and a Complete snapshot then
    // sent as ending at that decided index would put every later entry at the wrong index).
    const newDecided = Math.max(this.decidedIdx, Math.min(decidedIdx, acceptedIdx), compactedIdx);
    if (newDecided > acceptedIdx) {
      throw new InvariantError(`log sync to ${acceptedIdx} would cut the decided prefix ending at ${this.decidedIdx}`);
    }
    ops.push({ op: 'SetDecidedIdx', idx: newDecided });
    this.write('syncLog', () => this.storage.writeAtomically(ops));
    this.acceptedRound = copyBallot(acceptedRound);
    this.compactedIdx = compactedIdx;
    this.acceptedIdx = acceptedIdx;
    this.stopSign = stopSign;
    this.decidedIdx = newDecided;
    return acceptedIdx;
  }

  private installSnapshot(t: SnapshotTransfer<S>): S {
    const logic = this.snapshotLogic;
    if (!logic) throw new InvariantError('received a snapshot but this replica has no snapshot logic');
    if (t.kind === 'Complete') return t.snapshot;
    return logic.merge(this.createSnapshot(this.decidedIdxWithoutStopSign()), t.snapshot);
  }

  /** createSnapshot builds the snapshot of the log prefix [0, idx) from the stored snapshot and entries. */
  createSnapshot(idx: number): S {
    const logic = this.snapshotLogic;
    if (!logic) throw new InvariantError('snapshot requested but this replica has no snapshot logic');
    if (idx < this.compactedIdx) throw new CompactionError('TrimmedIndex', this.compactedIdx);
    const delta = logic.create(this.getEntries(this.compactedIdx, idx));
    const base = this.getSnapshot();
    return base === undefined ? delta : logic.merge(base, delta);
  }

  /**
   * createDiffSnapshot returns the snapshot that brings a log decided up to `fromIdx` up to this
   * log's decided index: a Delta of the entries between, or a Complete snapshot when those entries
   * are compacted here. Also returns the index the snapshot ends at.
   */
  createDiffSnapshot(fromIdx: number): { snapshot: SnapshotTransfer<S> | undefined; idx: number } {
    const logDecided = this.decidedIdxWithoutStopSign();
    const logic = this.snapshotLogic;
    if (!logic) throw new InvariantError('snapshot requested but this replica has no snapshot logic');
    if (fromIdx <= this.compactedIdx) {
      if (this.compactedIdx < logDecided) {
        return { snapshot: { kind: 'Complete', snapshot: this.createSnapshot(logDecided) }, idx: logDecided };
      }
      const s = this.getSnapshot();
      return { snapshot: s === undefined ? undefined : { kind: 'Complete', snapshot: s }, idx: this.compactedIdx };
    }
    const delta = logic.create(this.getEntries(fromIdx, logDecided));
    return { snapshot: { kind: 'Delta', snapshot: delta, fromIdx }, idx: logDecided };
  }

  /** compactionTarget turns a requested index into the index to compact to, or throws. */
  private compactionTarget(idx: number | undefined): number {
    const logDecided = this.decidedIdxWithoutStopSign();
    if (idx === undefined) return logDecided;
    if (!Number.isSafeInteger(idx) || idx < 0) throw new CompactionError('UndecidedIndex', this.decidedIdx);
    if (idx > this.decidedIdx) throw new CompactionError('UndecidedIndex', this.decidedIdx);
    return idx === this.decidedIdx ? logDecided : idx;
  }

  /** tryTrim trims the log before `idx` (decided entries only). */
  tryTrim(idx: number): void {
    const target = this.compactionTarget(idx);
    if (target <= this.compactedIdx) {
      if (target < this.compactedIdx) throw new CompactionError('TrimmedIndex', this.compactedIdx);
      return;
    }
    this.write('trim', () =>
      this.storage.writeAtomically([
        { op: 'Trim', idx: target },
        { op: 'SetCompactedIdx', idx: target },
      ]),
    );
    this.compactedIdx = target;
  }

  /** trySnapshot replaces the log before `idx` (default: all decided) with a snapshot. */
  trySnapshot(idx: number | undefined): void {
    const target = this.compactionTarget(idx);
    if (target <= this.compactedIdx) {
      if (target < this.compactedIdx) throw new CompactionError('TrimmedIndex', this.compactedIdx);
      return;
    }
    const snapshot = this.createSnapshot(target);
    this.write('snapshot', () =>
      this.storage.writeAtomically([
        { op: 'SetSnapshot', snapshot },
        { op: 'Trim', idx: target },
        { op: 'SetCompactedIdx', idx: target },
      ]),
    );
    this.compactedIdx = target;
  }
}

/** asStorageError wraps any thrown value in a StorageError (keeping StorageErrors as they are). */
export function asStorageError(message: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError(`${message}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
