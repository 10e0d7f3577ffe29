/**
 * storage-throughput measures durable decided entries/s: 3 OmniPaxos replicas, each on its own
 * SqliteStorage file with fsync on (synchronous=FULL), following the durability contract (take the
 * outgoing messages, flush, then send; report an entry decided only after a flush covering the
 * decision). Two variants per in-flight count, run back to back so they see the same disk: each
 * replica in its own worker thread (commits overlap, as on 3 machines), then all three on one thread
 * (commits one after another). The machine's plain write+fdatasync rate is measured right before each
 * pair, as the physical reference (the disk of a shared VM drifts by 10x within a minute).
 *
 * Run: pnpm bench:storage   (BENCH_SECONDS=<s> sets the measured time per row, default 6;
 * BENCH_SYNC=off turns SQLite's sync off to show the CPU-bound ceiling — not a durable figure)
 */
import { fdatasyncSync, fsyncSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './storage/row.js';
import { runSingleThreadRow } from './storage/single-thread.js';
import { syncRate } from './storage/sync-rate.js';
import { runWorkerRow } from './storage/worker-cluster.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const SYNC = process.env.BENCH_SYNC === 'off' ? 'off' : 'full';
const NODES = [1, 2, 3];
const PAYLOAD = 'x'.repeat(64);
const IN_FLIGHT = [1, 16, 128];

/** Pair is one in-flight count measured both ways, with the disk's sync rate right before. */
interface Pair {
  fdatasyncPerSec: number;
  workers: Row;
  single: Row;
}

function line(r: Row, ref: number | string): string {
  const note = r.note ? ` (${r.note})` : '';
  return `| ${r.inFlight} | ${r.entriesPerSec}${note} | ${r.commitsPerSec} | ${r.entriesPerCommit} | ${r.loopsPerSec} | ${ref} |`;
}

const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
const dir = mkdtempSync(join(tmpdir(), 'omnipaxos-bench-storage-'));
try {
  const base = {
    dir,
    nodes: NODES,
    payload: PAYLOAD,
    synchronous: SYNC,
    warmupMs: Math.min(1000, SECONDS * 200),
    measureMs: SECONDS * 1000,
  } as const;
  const loadBefore = load();
  const fsyncs = syncRate(dir, Math.min(1000, SECONDS * 200), fsyncSync);
  const pairs: Pair[] = [];
  for (const inFlight of IN_FLIGHT) {
    const fdatasyncPerSec = syncRate(dir, Math.min(2000, SECONDS * 300), fdatasyncSync);
    const workers = await runWorkerRow({ ...base, inFlight });
    const single = runSingleThreadRow({ ...base, inFlight });
    pairs.push({ fdatasyncPerSec, workers, single });
  }
  console.log(
    `storage throughput: 3 replicas, SqliteStorage (WAL, ${SYNC === 'full' ? 'one fdatasync of the log per flush (backgroundSync)' : `synchronous=${SYNC.toUpperCase()}`}), ${SECONDS}s per row, ` +
      `${PAYLOAD.length}-byte payloads; load average ${loadBefore} before, ${load()} after`,
  );
  console.log(
    '| in flight | durable decided entries/s | commits (fsync) /s, 3 replicas | entries per commit | ' +
      'leader batches (loops) /s | plain write+fdatasync /s right before |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  console.log('| **one worker thread per replica** (syncs overlap) | | | | | |');
  for (const p of pairs) console.log(line(p.workers, p.fdatasyncPerSec));
  console.log('| **all 3 replicas on one thread** (syncs in series) | | | | | |');
  for (const p of pairs) console.log(line(p.single, '(same)'));
  console.log(`| plain file write+fsync (4 KiB), at the start | ${fsyncs}/s | | | | |`);
  const last = pairs[pairs.length - 1] as Pair;
  console.log(JSON.stringify({ durableEntriesPerSec128: last.workers.entriesPerSec, fdatasyncPerSec: last.fdatasyncPerSec }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
