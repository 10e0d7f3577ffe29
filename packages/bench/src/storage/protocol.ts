/**
 * protocol holds what the storage benchmark's main thread and its replica workers say to each other,
 * and the entry type the replicas replicate.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Message } from '@omnipaxos/core';

/** BenchEntry is one proposed log entry: a client sequence number and a fixed payload. */
export interface BenchEntry {
  id: number;
  payload: string;
}

/** BenchMessage is a replica message between two workers. */
export type BenchMessage = Message<BenchEntry, never>;

/** ReplicaWorkerData is what a worker starts with: its identity, database and links to its peers. */
export interface ReplicaWorkerData {
  pid: number;
  nodes: number[];
  /** path of this replica's own SQLite database file. */
  path: string;
  /** SQLite `synchronous`: 'full' for the benchmark; 'off' only to see the CPU-bound ceiling. */
  synchronous: 'full' | 'off';
  /** milliseconds between two `tick()` calls. */
  tickMs: number;
  /** one MessagePort per peer pid (transferred to the worker). */
  peers: Record<number, MessagePort>;
}

/** ToWorker is a control message from the main thread. */
export type ToWorker =
  | { type: 'load'; inFlight: number; payload: string }
  | { type: 'stats' }
  | { type: 'stop' };

/** WorkerStats are a worker's counters at one moment (absolute time in ms). */
export interface WorkerStats {
  pid: number;
  at: number;
  /** commits that made writes durable (flushes with unflushed writes). */
  commits: number;
  /** batches handled (each ends with a flush). */
  batches: number;
  /** entries this worker reported decided to its client, each after a flush covering the decision. */
  reported: number;
  /** the leader this worker follows, 0 if none. */
  leader: number;
}

/** FromWorker is a report to the main thread. */
export type FromWorker =
  | { type: 'leader'; pid: number }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
