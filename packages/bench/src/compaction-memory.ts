/**
 * bench:compaction — live heap of a 3-replica cluster (MemoryStorage, plain delivery loop) over
 * 1,000,000 decided entries, once trimming every 1,000 entries and once never compacting, sampled
 * every 100,000 entries after a full GC. Run with --expose-gc (the root script does).
 */
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';

const TOTAL = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const SAMPLE = TOTAL / 10;

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function run(trimEvery: number | undefined): number[] {
  const nodes = [1, 2, 3];
  const rs = nodes.map(
    (pid) =>
      new OmniPaxos<string>(
        { clusterConfig: { configurationId: 1, nodes }, serverConfig: { pid, batchSize: 64 } },
        new MemoryStorage<string>(),
      ),
  );
  const pump = (tick: boolean) => {
    for (;;) {
      const out: Message<string>[] = [];
      for (const r of rs) {
        if (tick) r.tick();
        for (const m of r.takeOutgoingMessages()) out.push(m);
      }
      tick = false;
      if (out.length === 0) return;
      for (const m of out) rs[m.to - 1]?.handleIncoming(m);
    }
  };
  for (let i = 0; i < 100 && !rs.some((r) => r.getStatus().role === 'Leader' && r.getStatus().phase === 'Accept'); i++) pump(true);
  const leader = rs.find((r) => r.getStatus().role === 'Leader') as OmniPaxos<string>;
  const samples: number[] = [heapMiB()];
  let proposed = 0;
  let lastTrim = 0;
  while (leader.getDecidedIdx() < TOTAL) {
    for (let i = 0; i < 1024 && proposed < TOTAL; i++, proposed++) leader.append(`entry-${proposed}`);
    pump(false);
    if (proposed >= TOTAL) for (let t = 0; t < 10; t++) pump(true);
    const decided = leader.getDecidedIdx();
    if (trimEvery && decided - lastTrim >= trimEvery) {
      const idx = decided - (decided % trimEvery);
      try {
        leader.trim(idx);
        lastTrim = idx;
      } catch {
        // Not all servers accepted up to idx yet: try at the next round.
      }
    }
    if (decided >= samples.length * SAMPLE && samples.length <= 10) samples.push(heapMiB());
  }
  if (rs.length !== 3) throw new Error('lost a replica');
  return samples;
}

const trimmed = run(1000);
const untrimmed = run(undefined);
console.log(`bench:compaction — live heap (MiB, after GC) of 3 replicas while deciding ${TOTAL.toLocaleString('en-US')} entries (~14 bytes each)`);
console.log('| decided entries | trim every 1,000 | never compacted |');
console.log('|---:|---:|---:|');
for (let i = 0; i < trimmed.length; i++) {
  console.log(`| ${(i * SAMPLE).toLocaleString('en-US')} | ${trimmed[i]?.toFixed(1)} | ${untrimmed[i]?.toFixed(1) ?? '-'} |`);
}
const growth = (xs: number[]) => (xs[xs.length - 1] as number) - (xs[1] as number);
console.log(JSON.stringify({ trimmedGrowthMiB: Number(growth(trimmed).toFixed(1)), untrimmedGrowthMiB: Number(growth(untrimmed).toFixed(1)) }));
