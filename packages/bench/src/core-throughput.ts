/**
 * bench:core — decided entries per second of the bare core: 3 and 5 replicas in one process,
 * MemoryStorage, messages handed over by a plain loop (no copies), 8-byte entries, for batch sizes
 * 1 and 64. Also reports the heap growth per million decided entries.
 */
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';

interface Result {
  nodes: number;
  batchSize: number;
  entries: number;
  seconds: number;
  perSec: number;
  heapMbPerMillion: number;
}

/** heapUsed collects garbage first when the script runs with --expose-gc (bench:core does). */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function elect(replicas: Map<number, OmniPaxos<string>>): void {
  for (let t = 0; t < 200; t++) {
    pump(replicas, true);
    const leaders = [...replicas.values()].filter((r) => r.getStatus().role === 'Leader' && r.getStatus().phase === 'Accept');
    if (leaders.length === 1 && [...replicas.values()].every((r) => r.getCurrentLeader()?.accepted)) return;
  }
  throw new Error('no leader elected');
}

function pump(replicas: Map<number, OmniPaxos<string>>, tick: boolean): number {
  let moved = 0;
  for (const r of replicas.values()) if (tick) r.tick();
  for (;;) {
    let batch: Message<string>[] = [];
    for (const r of replicas.values()) {
      const out = r.takeOutgoingMessages();
      if (out.length > 0) batch = batch.length === 0 ? out : batch.concat(out);
    }
    if (batch.length === 0) return moved;
    moved += batch.length;
    for (const m of batch) replicas.get(m.to)?.handleIncoming(m);
  }
}

function run(nodes: number, batchSize: number, entries: number): Result {
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const replicas = new Map<number, OmniPaxos<string>>();
  for (const pid of ids) {
    replicas.set(
      pid,
      new OmniPaxos<string>(
        { clusterConfig: { configurationId: 1, nodes: ids }, serverConfig: { pid, batchSize, electionTickTimeout: 5 } },
        new MemoryStorage<string>(),
      ),
    );
  }
  elect(replicas);
  const leader = [...replicas.values()].find((r) => r.getStatus().role === 'Leader') as OmniPaxos<string>;
  const window = 4096; // proposals handed to the leader between deliveries
  const heapBefore = heapUsed();
  const start = process.hrtime.bigint();
  let proposed = 0;
  while (leader.getDecidedIdx() < entries) {
    const upTo = Math.min(entries, proposed + window);
    for (; proposed < upTo; proposed++) leader.append('01234567');
    pump(replicas, false);
    if (proposed >= entries && leader.getDecidedIdx() < entries) {
      // Flush a partial last batch.
      for (const r of replicas.values()) for (let i = 0; i < 5; i++) r.tick();
      pump(replicas, false);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const r of replicas.values()) if (r.getDecidedIdx() < entries) pump(replicas, true);
  const heapAfter = heapUsed(); // the replicas (and their logs) are still alive here
  if (replicas.size !== nodes) throw new Error('lost a replica');
  return {
    nodes,
    batchSize,
    entries,
    seconds,
    perSec: entries / seconds,
    heapMbPerMillion: ((heapAfter - heapBefore) / 1024 / 1024) * (1_000_000 / entries),
  };
}

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const results: Result[] = [];
for (const nodes of [3, 5]) {
  for (const batchSize of [1, 64]) {
    run(nodes, batchSize, Math.min(ENTRIES, 100_000)); // warm-up
    const runs = [run(nodes, batchSize, ENTRIES), run(nodes, batchSize, ENTRIES)];
    results.push(runs.reduce((a, b) => (a.perSec >= b.perSec ? a : b)));
  }
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`bench:core — ${ENTRIES.toLocaleString('en-US')} decided 8-byte entries per run, best of 2, Node ${process.version}`);
console.log('| replicas | batchSize | decided entries/s | seconds | live heap MiB per 1M entries (all replicas) |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.nodes} | ${r.batchSize} | ${fmt(r.perSec)} | ${r.seconds.toFixed(2)} | ${r.heapMbPerMillion.toFixed(1)} |`);
}
const three = (b: number) => results.find((r) => r.nodes === 3 && r.batchSize === b) as Result;
console.log(JSON.stringify({ batchedEntriesPerSec: Math.round(three(64).perSec), unbatchedEntriesPerSec: Math.round(three(1).perSec) }));
