import type { NodeId, Storage } from '@omnipaxos/core';

/**
 * ReplicatedEntry is what the actors put in the replicated log: the application's entry tagged with
 * the proposer session that can recognise its re-proposed copies, as a compact tuple
 * `[entry, origin, session, seq, low?]`:
 *
 * - `entry` (0): the application's entry;
 * - `origin` (1): the server that proposed it;
 * - `session` (2): random id of the proposing supervisor instance (a whole-process restart gets a new one);
 * - `seq` (3): per-session proposal number, 0, 1, 2, … in the order the requests reached the supervisor
 *   (every copy of a request has the same seq);
 * - `low` (4, optional): the session's lowest undecided seq when this copy was proposed (every seq below
 *   it was decided). Only the first entry of each batch handed to Paxos carries it.
 *
 * A tuple, not an object: `structuredClone` and msgpack copy an array of numbers three to four times
 * faster than an object with named fields, and the tag is copied per entry per follower. The request id
 * is not replicated: the proposer matches a decided entry to its request by (`session`, `seq`).
 * Read the fields with `payloadOf`, `originOf`, … rather than by index.
 */
export type ReplicatedEntry<T> = readonly [entry: T, origin: NodeId, session: number, seq: number, low?: number];

/** payloadOf is the application's entry inside a replicated entry. */
export const payloadOf = <T>(e: ReplicatedEntry<T>): T => e[0];

/** originOf is the server that proposed a replicated entry. */
export const originOf = <T>(e: ReplicatedEntry<T>): NodeId => e[1];

/** sessionOf is the proposing supervisor instance of a replicated entry. */
export const sessionOf = <T>(e: ReplicatedEntry<T>): number => e[2];

/** seqOf is the per-session proposal number of a replicated entry. */
export const seqOf = <T>(e: ReplicatedEntry<T>): number => e[3];

/** lowOf is the proposer's low mark carried by a replicated entry (0 when it carries none). */
export const lowOf = <T>(e: ReplicatedEntry<T>): number => e[4] ?? 0;

/**
 * isReplicatedEntry checks the shape of a replicated entry that came from the network (the entry
 * itself is not checked: validate it with `payloadOf`).
 */
export function isReplicatedEntry(x: unknown): x is ReplicatedEntry<unknown> {
  if (!Array.isArray(x) || (x.length !== 4 && x.length !== 5)) return false;
  for (let i = 1; i < x.length; i++) if (!Number.isSafeInteger(x[i]) || (x[i] as number) < 0) return false;
  return true;
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
