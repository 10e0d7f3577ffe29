import type { NodeId, Storage } from '@omnipaxos/core';

/**
 * ReplicatedEntry is what the actors put in the replicated log: a **batch** of the application's
 * entries (appends that reached the supervisor together, up to a size cap) tagged once with the
 * proposer session that can recognise its re-proposed copies, as a compact tuple
 * `[entries, origin, session, seqStart, low?]`:
 *
 * - `entries` (0): the application's entries, in append order (at least one);
 * - `origin` (1): the server that proposed them;
 * - `session` (2): random id of the proposing supervisor instance (a whole-process restart gets a new one);
 * - `seqStart` (3): per-session proposal number of `entries[0]`; `entries[i]` has seq `seqStart + i`.
 *   Seqs number the requests 0, 1, 2, … in the order they reached the supervisor (every copy of a
 *   request has the same seq, whatever batch it is re-proposed in);
 * - `low` (4, optional): the session's lowest undecided seq when this copy was proposed (every seq below
 *   it was decided). Only the first batch of each hand-over to Paxos carries it.
 *
 * One log entry holds many application entries, so the application index (`DecidedItem.idx`, one per
 * application entry) is not the raw log position: the history, segment and snapshot code counts raw
 * log positions, the RequestBook counts application indices. A tuple, not an object, and one tag per
 * batch: the tag is copied per log entry per follower. The request id is not replicated: the proposer
 * matches a decided entry to its request by (`session`, seq). Read the fields with `payloadsOf`,
 * `originOf`, … rather than by index.
 */
export type ReplicatedEntry<T> = readonly [entries: readonly T[], origin: NodeId, session: number, seqStart: number, low?: number];

/** payloadsOf is the application's entries inside a replicated (log) entry, in append order. */
export const payloadsOf = <T>(e: ReplicatedEntry<T>): readonly T[] => e[0];

/** countOf is the number of application entries in a replicated (log) entry. */
export const countOf = <T>(e: ReplicatedEntry<T>): number => e[0].length;

/** originOf is the server that proposed a replicated entry. */
export const originOf = <T>(e: ReplicatedEntry<T>): NodeId => e[1];

/** sessionOf is the proposing supervisor instance of a replicated entry. */
export const sessionOf = <T>(e: ReplicatedEntry<T>): number => e[2];

/** seqOf is the per-session proposal number of the first application entry of a replicated entry. */
export const seqOf = <T>(e: ReplicatedEntry<T>): number => e[3];

/** lowOf is the proposer's low mark carried by a replicated entry (0 when it carries none). */
export const lowOf = <T>(e: ReplicatedEntry<T>): number => e[4] ?? 0;

/**
 * isReplicatedEntry checks the shape of a replicated entry that came from the network: a non-empty
 * array of entries and non-negative integer tags (the entries themselves are not checked: validate
 * them with `payloadsOf`).
 */
export function isReplicatedEntry(x: unknown): x is ReplicatedEntry<unknown> {
  if (!Array.isArray(x) || (x.length !== 4 && x.length !== 5)) return false;
  if (!Array.isArray(x[0]) || x[0].length === 0) return false;
  for (let i = 1; i < x.length; i++) if (!Number.isSafeInteger(x[i]) || (x[i] as number) < 0) return false;
  return Number.isSafeInteger((x[3] as number) + x[0].length);
}

/** ReplicaStorage is the core Storage of one replica run by the actors (its log holds ReplicatedEntry). */
export type ReplicaStorage<T> = Storage<ReplicatedEntry<T>>;

/** DecidedItem is one entry handed to the application: its index in the one continuous log. */
export interface DecidedItem<T> {
  /** Position in the application's log: dense, starting at 0, continuous across configurations. */
  idx: number;
  entry: T;
  /** The server that proposed the entry. */
  origin: NodeId;
  /**
   * The request id, on the server that proposed the entry (the proposing supervisor instance) only:
   * request ids are not replicated, other servers see `undefined`.
   */
  rid?: string | undefined;
}
