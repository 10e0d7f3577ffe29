import type { Ballot } from '../ballot.js';
import type { StopSign } from '../log-entry.js';
import { ComposedStorage, type PaxosState, type Sequence } from './composed-storage.js';

/**
 * StorageOp is one write inside `writeAtomically`. Indices are absolute: counted as if nothing had
 * ever been trimmed.
 */
export type StorageOp<T, S> =
  | { op: 'AppendEntry'; entry: T }
  | { op: 'AppendEntries'; entries: T[] }
  | { op: 'AppendOnPrefix'; fromIdx: number; entries: T[] }
  | { op: 'SetPromise'; ballot: Ballot }
  | { op: 'SetDecidedIdx'; idx: number }
  | { op: 'SetAcceptedRound'; ballot: Ballot }
  | { op: 'SetCompactedIdx'; idx: number }
  | { op: 'Trim'; idx: number }
  | { op: 'SetStopsign'; stopSign: StopSign | undefined }
  | { op: 'SetSnapshot'; snapshot: S | undefined };

/**
 * Storage is where a replica keeps its log and Paxos state. It is synchronous, like the OmniPaxos
 * trait; a durable implementation may buffer writes and make them durable in `flush()`.
 *
 * Indices are absolute. `getLogLen()` is the number of entries held after the trimmed prefix, so the
 * absolute end of the log is `trimmedIdx + getLogLen()`. The stop sign is kept apart from the entries.
 * Every method throws StorageError when it cannot do its work; `writeAtomically` applies all of its
 * ops or none.
 */
export interface Storage<T, S = never> {
  /** writeAtomically applies every op in order, or none of them when one fails. */
  writeAtomically(ops: StorageOp<T, S>[]): void;
  /** appendEntry adds one entry at the end of the log. */
  appendEntry(entry: T): void;
  /** appendEntries adds entries at the end of the log. */
  appendEntries(entries: T[]): void;
  /** appendOnPrefix drops every entry from `fromIdx` on, then appends `entries` there. */
  appendOnPrefix(fromIdx: number, entries: T[]): void;
  /** setPromise records the highest ballot promised. */
  setPromise(ballot: Ballot): void;
  /** getPromise returns the promised ballot, or undefined if none was ever set. */
  getPromise(): Ballot | undefined;
  /** setDecidedIdx records the decided index (entries before it are decided). */
  setDecidedIdx(idx: number): void;
  /** getDecidedIdx returns the decided index, 0 if none. */
  getDecidedIdx(): number;
  /** setAcceptedRound records the ballot whose log this server last accepted. */
  setAcceptedRound(ballot: Ballot): void;
  /** getAcceptedRound returns the accepted round, or undefined if none. */
  getAcceptedRound(): Ballot | undefined;
  /** getEntries returns the entries in [from, to) that are held; an empty array past the end. */
  getEntries(from: number, to: number): T[];
  /** getLogLen returns how many entries are held after the trimmed prefix. */
  getLogLen(): number;
  /** getSuffix returns every held entry from `from` on. */
  getSuffix(from: number): T[];
  /** setStopsign records (or clears) the accepted stop sign. */
  setStopsign(stopSign: StopSign | undefined): void;
  /** getStopsign returns the accepted stop sign, if any. */
  getStopsign(): StopSign | undefined;
  /** trim removes every entry before `idx`. */
  trim(idx: number): void;
  /** setCompactedIdx records the index before which the log is trimmed or snapshotted. */
  setCompactedIdx(idx: number): void;
  /** getCompactedIdx returns the compacted index, 0 if none. */
  getCompactedIdx(): number;
  /** setSnapshot records (or clears) the snapshot of the compacted prefix. */
  setSnapshot(snapshot: S | undefined): void;
  /** getSnapshot returns the snapshot of the compacted prefix, if any. */
  getSnapshot(): S | undefined;
  /** flush makes every write so far durable; drivers await it before sending or acknowledging. */
  flush?(): Promise<void>;
}

/** Storage.with builds a Storage from the seed design's two halves: a Sequence and a PaxosState. */
export const Storage = {
  with<T, S = never>(sequence: Sequence<T>, paxosState: PaxosState<S>): Storage<T, S> {
    return new ComposedStorage(sequence, paxosState);
  },
};
