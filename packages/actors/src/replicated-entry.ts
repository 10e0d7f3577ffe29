import type { NodeId, Storage } from '@omnipaxos/core';

/**
 * ReplicatedEntry is what the actors put in the replicated log: the application's entry tagged with
 * the request id (`rid`, a nanoid) and the server that proposed it. The tag is how a proposal is
 * matched to its client promise and how a re-proposed duplicate is recognised and skipped.
 */
export interface ReplicatedEntry<T> {
  rid: string;
  origin: NodeId;
  entry: T;
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
