import type { SnapshotLogic } from '@omnipaxos/core';

/**
 * HistorySnapshot stands for a compacted prefix of the global log: every finished configuration up to
 * and including `configurationId`, i.e. global raw positions [0, rawEnd) and application indices
 * [0, appEnd). It always ends at a configuration's stop sign, where every replica resets its
 * duplicate filter, so no de-dup state travels with it: after it, the filter is empty and the next
 * delivered entry gets `idx = appEnd`. `data` is the application's snapshot (`SnapshotLogic.create`
 * over the delivered entries, merged onto the previous snapshot); it must be plain data.
 */
export interface HistorySnapshot<S = unknown> {
  configurationId: number;
  rawEnd: number;
  appEnd: number;
  data: S;
}

/**
 * CompactionOptions turn on compaction of the finished configurations' history (see
 * docs/reconfiguration.md): `logic` builds the application's snapshot over the user's entry type;
 * with `auto`, a server compacts a finished configuration as soon as every node of the next one has
 * acknowledged the history (otherwise only on `replica.compact()`).
 */
export interface CompactionOptions<T> {
  logic: SnapshotLogic<T, unknown>;
  auto?: boolean;
}
