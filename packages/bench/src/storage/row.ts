/** row is one line of the storage benchmark's table. */

/** Row is what one (variant, in-flight) run measured. */
export interface Row {
  inFlight: number;
  /** durable decided entries/s: acknowledged to the client after a flush covering the decision. */
  entriesPerSec: number;
  /** commits that wrote something, summed over the 3 replicas, per second. */
  commitsPerSec: number;
  entriesPerCommit: number;
  /** leader batches (workers) or loops over the 3 replicas (single thread) per second. */
  loopsPerSec: number;
  /** anything that makes the row suspect (empty when fine). */
  note: string;
}

/** RowOptions say what one row runs (either variant). */
export interface RowOptions {
  dir: string;
  nodes: number[];
  inFlight: number;
  payload: string;
  warmupMs: number;
  measureMs: number;
  /** SQLite `synchronous` ('full' unless BENCH_SYNC=off asks for the CPU-bound ceiling). */
  synchronous: 'full' | 'off';
}
