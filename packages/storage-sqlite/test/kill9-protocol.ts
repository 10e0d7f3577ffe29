import type { Message } from '@omnipaxos/core';

/** Entries of the crash test are unique integers; snapshots hold every entry of the compacted prefix. */
export type Entry = number;
/** Snap is the crash test's snapshot: the entries of the compacted prefix, in order. */
export type Snap = number[];
/** ReplicaMessage is a replica message of the crash-test cluster. */
export type ReplicaMessage = Message<Entry, Snap>;

/** ToChild is what the parent (router and client) sends a replica process. */
export type ToChild =
  | { t: 'msg'; m: ReplicaMessage }
  | { t: 'propose'; entries: Entry[] }
  | { t: 'reconnected'; pid: number }
  | { t: 'trim' }
  | { t: 'snapshot' }
  | { t: 'dump' };

/** Dump is a replica's view of its log: `entries[i]` is absolute index i, null where trimmed. */
export interface Dump {
  decidedIdx: number;
  compactedIdx: number;
  entries: (Entry | null)[];
  /** snapshot is the stored snapshot when it does not hold exactly the compacted prefix (a bug). */
  badSnapshot?: Snap;
}

/** FromChild is what a replica process reports; every `out` and `decided` follows a completed flush. */
export type FromChild =
  | { t: 'ready'; pid: number; decidedIdx: number }
  | { t: 'out'; msgs: ReplicaMessage[] }
  | { t: 'decided'; pid: number; from: number; entries: Entry[]; leader: number }
  | { t: 'compacted'; pid: number; kind: 'trim' | 'snapshot'; idx: number }
  | { t: 'dump'; pid: number; dump: Dump }
  | { t: 'error'; pid: number; message: string };
