/**
 * soak-catchup: a replica far behind catches up over the real transport, in bounded messages.
 * Three replica processes on loopback; SIGKILL replica 3; write `--mib` MiB (default 256) of
 * `--value-kib` KiB values (default 32) over `--keys` keys through replica 1; restart replica 3 from its
 * data folder and wait until it has applied everything decided before its restart, while a trickle of
 * writes keeps going through replica 1. Prints the catch-up time, the replicas' RSS (sampled every
 * 200 ms, and the kernel's peak VmHWM) and the transports' oversize / dropped counters. Exit code 1
 * when the replica does not catch up within `--timeout-s` (default 900) or a replica dies.
 *
 *   pnpm soak:catchup [--mib 256] [--value-kib 32] [--keys 10] [--concurrency 16] [--timeout-s 900]
 *
 * Not part of `pnpm test`: it writes hundreds of MiB to disk and takes minutes.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { KvStatus } from '../src/kv-node.js';
import { ProcessCluster, eventually } from '../test/cluster-harness.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const mib = arg('mib', 256);
const valueKib = arg('value-kib', 32);
const keys = arg('keys', 10);
const concurrency = arg('concurrency', 16);
const timeoutS = arg('timeout-s', 900);
const MB = 1024 * 1024;

/** memOf reads a process's resident set (VmRSS) and its peak (VmHWM) in MiB from /proc. */
function memOf(osPid: number | undefined): { rss: number; hwm: number } | undefined {
  if (osPid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${osPid}/status`, 'utf8');
    const kb = (field: string) => Number(/\d+/.exec(text.split('\n').find((l) => l.startsWith(field)) ?? '')?.[0] ?? NaN);
    return { rss: kb('VmRSS:') / 1024, hwm: kb('VmHWM:') / 1024 };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const cluster = new ProcessCluster([1, 2, 3]);
  const peak = new Map<number, number>();
  let sampler: NodeJS.Timeout | undefined;
  try {
    await cluster.startAll();
    const first = await eventually('a leader', async () => {
      const s = await cluster.client(1).status();
      if (s.leader === null) throw new Error('no leader yet');
      return s.leader;
    });
    await cluster.kill(3);
    console.log(`leader before the kill: replica ${first}`);
    const value = 'v'.repeat(valueKib * 1024);
    const puts = Math.ceil((mib * MB) / (valueKib * 1024));
    console.log(`replica 3 killed; writing ${puts} puts of ${valueKib} KiB (${mib} MiB) through replica 1, ${concurrency} in flight`);
    const w0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < puts; i = next++) {
          await eventually(`put ${i}`, () => cluster.client(1).put(`key${i % keys}`, `${i}:${value}`), 60_000);
        }
      }),
    );
    const writeSecs = (performance.now() - w0) / 1000;
    const target = (await cluster.client(1).status()).decidedIdx;
    const before = [1, 2].map((p) => ({ pid: p, ...memOf(cluster.procs.get(p)?.child.pid) }));
    console.log(`written in ${writeSecs.toFixed(1)} s; decided index ${target}; RSS before the restart: ${before.map((b) => `r${b.pid} ${b.rss?.toFixed(0)} MiB`).join(', ')}`);

    await cluster.start(3);
    const started = performance.now();
    sampler = setInterval(() => {
      for (const p of [1, 2, 3]) {
        const m = memOf(cluster.procs.get(p)?.child.pid);
        if (m && m.rss > (peak.get(p) ?? 0)) peak.set(p, m.rss);
      }
    }, 200);
    // A trickle of writes through replica 1 while replica 3 catches up: the cluster keeps serving.
    let trickling = true;
    const latencies: number[] = [];
    let failures = 0;
    const trickle = (async () => {
      for (let i = 0; trickling; i++) {
        const t0 = performance.now();
        try {
          await cluster.client(1).put(`trickle${i % keys}`, String(i));
          latencies.push(performance.now() - t0);
        } catch {
          failures += 1;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const leaders = new Set<number>();
    await eventually(
      'replica 3 catches up',
      async () => {
        const l = (await cluster.client(1).status()).leader;
        if (l !== null) leaders.add(l);
        const s = await cluster.client(3).status();
        if (s.decidedIdx < target) throw new Error(`at ${s.decidedIdx} of ${target}`);
      },
      timeoutS * 1000,
    );
    const catchUpSecs = (performance.now() - started) / 1000;
    trickling = false;
    await trickle;
    clearInterval(sampler);
    console.log(`leaders seen by replica 1 during the catch-up: ${[...leaders].join(', ')}`);
    const status = (await Promise.all([1, 2, 3].map((p) => cluster.client(p).status()))) as unknown as KvStatus[];
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? NaN;
    console.log(`replica 3 caught up ${target} entries (${mib} MiB) in ${catchUpSecs.toFixed(1)} s`);
    console.log(`writes during the catch-up: ${latencies.length} acknowledged, ${failures} failed; latency p50 ${q(0.5).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms`);
    for (const p of [1, 2, 3]) {
      const m = memOf(cluster.procs.get(p)?.child.pid);
      const s = status[p - 1];
      console.log(
        `replica ${p}${s?.leader === p ? ' (leader)' : ''}: peak RSS during catch-up ${(peak.get(p) ?? NaN).toFixed(0)} MiB, ` +
          `VmHWM ${m?.hwm.toFixed(0)} MiB, transport oversize ${s?.transport.oversize} dropped ${s?.transport.dropped} decodeErrors ${s?.transport.decodeErrors}`,
      );
    }
  } finally {
    if (sampler) clearInterval(sampler);
    await cluster.stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
