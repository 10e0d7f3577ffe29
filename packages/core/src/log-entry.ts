import type { ClusterConfig } from './config.js';

/**
 * StopSign ends a configuration: once decided, the log takes no more entries and the servers of
 * `nextConfig` continue the log in the next configuration.
 */
export interface StopSign {
  nextConfig: ClusterConfig;
  metadata?: Uint8Array;
}

/** LogEntry is what a read returns at one index of the replicated log. */
export type LogEntry<T, S> =
  | { kind: 'Decided'; entry: T }
  | { kind: 'Undecided'; entry: T }
  | { kind: 'Trimmed'; trimmedIdx: number }
  | { kind: 'Snapshotted'; trimmedIdx: number; snapshot: S }
  | { kind: 'StopSign'; stopSign: StopSign; decided: boolean };

/** SnapshotLogic builds application snapshots from decided entries; `merge` applies a delta to a base. */
export interface SnapshotLogic<T, S> {
  create(entries: T[]): S;
  merge(base: S, delta: S): S;
}
