/**
 * compare-etcd — our kv-store (examples/kv-store: 3 processes on loopback, durable SQLite, driven over
 * its native TCP client protocol with `KvTcpClient`) against etcd 3.4 (Debian `etcd-server`: 3 members
 * on loopback, data in a temp folder, fsync on; driven over its native gRPC client, the `etcd3` npm
 * package), same workload, same run, same machine: sequential puts (latency p50/p99) and 1, 16, 64,
 * 256 puts in flight (throughput), with 16 B and 1 KiB values. Both clients write to the leader.
 * Prints one table with the ratio ours/etcd per row; the last line is one JSON object
 * `{"throughputRatioVsEtcd64": R, "seqP50LatencyRatioVsEtcd": R}` (16 B values; null where etcd could
 * not run). A system that cannot be installed or started is skipped with the reason, never faked.
 *
 * Run: pnpm bench:compare   (BENCH_SECONDS per throughput row, default 4; BENCH_SEQ_PUTS, default 500)
 */
import { type EtcdCluster, ensureEtcd, startEtcd } from './etcd/etcd-cluster.js';
import { type KvStoreCluster, startKvStore } from './etcd/kv-store-cluster.js';
import { type PutFn, measureSequential, measureThroughput, valueOf } from './etcd/put-workload.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
const SEQ_PUTS = Number(process.env.BENCH_SEQ_PUTS ?? 500);
const WARMUP_LOAD_SECONDS = 2;
const WARMUP_SEQ_PUTS = 300;
const SIZES = [16, 1024];
const IN_FLIGHT = [1, 16, 64, 256];

/** Metric is one row of the table: its name, whether lower is better, and a value per system. */
interface Metric {
  size: number;
  name: string;
  unit: 'ms' | 'puts/s';
  ours?: number;
  etcd?: number;
}

const log = (line: string): void => console.log(line);

/**
 * measureAll runs the whole workload against one system, reporting each figure to `set`. It first
 * warms the system and its client up the same way for both systems (discarded): WARMUP_LOAD_SECONDS
 * at 64 puts in flight, then WARMUP_SEQ_PUTS sequential puts, so JIT compilation and the first
 * checkpoints are behind us before the first row.
 */
async function measureAll(put: PutFn, label: string, set: (size: number, name: string, unit: Metric['unit'], v: number) => void): Promise<void> {
  await measureThroughput(put, valueOf(16), 64, WARMUP_LOAD_SECONDS, 0);
  await measureSequential(put, valueOf(16), WARMUP_SEQ_PUTS, 0);
  for (const size of SIZES) {
    const value = valueOf(size);
    const seq = await measureSequential(put, value, SEQ_PUTS, 30);
    set(size, 'sequential put p50', 'ms', seq.p50Ms);
    set(size, 'sequential put p99', 'ms', seq.p99Ms);
    log(`${label} ${size} B: sequential p50 ${seq.p50Ms.toFixed(2)} ms, p99 ${seq.p99Ms.toFixed(2)} ms (${seq.puts} puts)`);
    for (const w of IN_FLIGHT) {
      const t = await measureThroughput(put, value, w, SECONDS, WARMUP_SECONDS);
      set(size, `${w} in flight`, 'puts/s', t.putsPerSec);
      log(`${label} ${size} B: ${w} in flight ${Math.round(t.putsPerSec)} puts/s (${t.puts} puts in ${t.seconds.toFixed(2)} s${t.errors > 0 ? `, ${t.errors} errors` : ''})`);
    }
  }
}

function fmt(m: Metric, v: number | undefined): string {
  if (v === undefined) return 'n/a';
  return m.unit === 'ms' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
}

const ratio = (m: Metric | undefined): number | null =>
  m?.ours === undefined || m.etcd === undefined || m.etcd === 0 ? null : Math.round((m.ours / m.etcd) * 100) / 100;

async function main(): Promise<void> {
  const started = performance.now();
  const metrics: Metric[] = [];
  const set = (which: 'ours' | 'etcd') => (size: number, name: string, unit: Metric['unit'], v: number): void => {
    let m = metrics.find((x) => x.size === size && x.name === name);
    if (m === undefined) {
      m = { size, name, unit };
      metrics.push(m);
    }
    m[which] = v;
  };
  const skipped: string[] = [];

  log(`compare-etcd: ${SEQ_PUTS} sequential puts per size, ${SECONDS} s per throughput row (after ${WARMUP_SECONDS} s warm-up), values ${SIZES.join(' B and ')} B; each system warmed up first with ${WARMUP_LOAD_SECONDS} s at 64 in flight and ${WARMUP_SEQ_PUTS} sequential puts`);
  let ours: KvStoreCluster | undefined;
  try {
    ours = await startKvStore();
    log(`ours: kv-store, 3 processes, native TCP client (KvTcpClient), leader pid ${ours.leaderPid} at ${ours.leaderClient} (HTTP ${ours.leaderUrl})`);
    await measureAll(ours.put, 'ours', set('ours'));
  } catch (err) {
    skipped.push(`ours skipped: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await ours?.stop();
  }

  const found = ensureEtcd(log);
  if (typeof found === 'string') skipped.push(`etcd skipped: ${found}`);
  else {
    let etcd: EtcdCluster | undefined;
    try {
      etcd = await startEtcd(found.bin, found.version);
      log(`etcd: ${found.version}, 3 members, leader at ${etcd.leaderEndpoint}`);
      await measureAll(etcd.put, 'etcd', set('etcd'));
    } catch (err) {
      skipped.push(`etcd skipped: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await etcd?.stop();
    }
  }

  for (const s of skipped) log(s);
  log('');
  const etcdName = typeof found === 'string' ? 'etcd' : `etcd ${found.version}`;
  log(`| value | metric | ours (kv-store, 3 processes) | ${etcdName} (3 members) | ours/etcd |`);
  log('|---:|---|---:|---:|---:|');
  for (const m of metrics) {
    const r = ratio(m);
    log(`| ${m.size === 1024 ? '1 KiB' : `${m.size} B`} | ${m.name} (${m.unit}) | ${fmt(m, m.ours)} | ${fmt(m, m.etcd)} | ${r === null ? 'n/a' : `${r}x`} |`);
  }
  log(`latency rows: ours/etcd below 1 means ours is faster; throughput rows: above 1 means ours is faster. ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const find = (name: string): Metric | undefined => metrics.find((m) => m.size === 16 && m.name === name);
  console.log(JSON.stringify({ throughputRatioVsEtcd64: ratio(find('64 in flight')), seqP50LatencyRatioVsEtcd: ratio(find('sequential put p50')) }));
}

await main();
process.exit(0);
