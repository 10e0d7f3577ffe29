/**
 * storage-cpu: the CPU cost of SqliteStorage per entry, without the disk: one storage with
 * `synchronous: 'off'`, 100,000 entries of a 64-byte payload appended in batches of 128 (one commit
 * each), then read back from SQLite (not from the in-memory tail) in ranges of 1,000. Prints µs per
 * entry for each phase, best of 3 rounds. Used to weigh what checksums cost beside bench:storage,
 * whose durable figures follow the disk.
 *
 * Run: npx tsx --conditions=source packages/bench/src/storage-cpu.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';

const ENTRIES = 100_000;
const BATCH = 128;
const payload = { op: 'put', key: 'k', value: 'x'.repeat(64) };

const dir = mkdtempSync(join(tmpdir(), 'omnipaxos-bench-storage-cpu-'));
const best = { write: Infinity, read: Infinity };
try {
  for (let round = 0; round < 3; round++) {
    const s = SqliteStorage.open<typeof payload>({ path: join(dir, `r${round}.sqlite`), clusterId: 'b', pid: 1, synchronous: 'off', tailEntries: 1 });
    let t = process.hrtime.bigint();
    for (let i = 0; i < ENTRIES; i += BATCH) {
      s.appendEntries(Array.from({ length: BATCH }, () => payload));
      s.flushSync();
    }
    best.write = Math.min(best.write, Number(process.hrtime.bigint() - t) / 1000 / ENTRIES);
    t = process.hrtime.bigint();
    let n = 0;
    for (let i = 0; i + 1000 <= ENTRIES - BATCH; i += 1000) n += s.getEntries(i, i + 1000).length;
    best.read = Math.min(best.read, Number(process.hrtime.bigint() - t) / 1000 / n);
    s.close();
  }
  console.log(`storage-cpu: ${ENTRIES} entries, batches of ${BATCH}, synchronous=off; best of 3: append+commit ${best.write.toFixed(2)} µs/entry, read ${best.read.toFixed(2)} µs/entry`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
