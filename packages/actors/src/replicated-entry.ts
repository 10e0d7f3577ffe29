import type { NodeId, Storage } from '@omnipaxos/core';

/**
 * ReplicatedEntry is what the actors put in the replicated log: the application's entry tagged with
 * the request id (`rid`, a nanoid or the caller's id) and the server that proposed it. `rid` matches a
 * proposal to its client promise; (`origin`, `session`, `seq`) is how every replica recognises and
 * skips a re-proposed duplicate cheaply (see DedupFilter).
 */
export interface ReplicatedEntry<T> {
  rid: string;
  origin: NodeId;
  entry: T;
  /** Random id of the proposing supervisor instance (a whole-process restart gets a new one). */
  session: number;
  /** Per-session proposal number: 0, 1, 2, … in the order the requests reached the supervisor. */
  seq: number;
  /** The session's lowest undecided seq when this copy was proposed (every seq below it was decided). */
  low: number;
}

/** ReplicaStorage is the core Storage of one replica run by the actors (its log holds ReplicatedEntry). */
export type ReplicaStorage<T> = Storage<ReplicatedEntry<T>>;

/** DecidedItem is one entry handed to the application: its index in the one continuous log. */
export interface DecidedItem<T> {
  /** Position in the application's log: dense, starting at 0, continuous across configurations. */
  idx: number;
  entry: T;
  rid: string;
  origin: NodeId;
}
