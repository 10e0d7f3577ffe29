/**
 * compare-etcd — our kv-store (examples/kv-store: 3 processes on loopback, durable SQLite, driven over
 * its native TCP client protocol with `KvTcpClient`) against etcd 3.4 (Debian `etcd-server`: 3 members
 * on loopback, data in a temp folder, fsync on; driven over its native gRPC client, the `etcd3` npm
 * package), same workload, same run, same machine: sequential puts (latency p50/p99) and 1, 16, 64,
 * 256 puts in flight (throughput), with 16 B and 1 KiB values. Both clients write to the leader.
 * It runs BENCH_ROUNDS rounds; each starts each system afresh, runs the whole workload on it alone and
 * stops it, the systems taking turns going first: a slow spell of a shared machine then lands on both
 * instead of on whichever system ran during it.
 * Prints one table with the median per system, the ratio of the medians and the range of the per-round
 * ratios; the last line is one JSON object
 * `{"throughputRatioVsEtcd64": R, "seqP50LatencyRatioVsEtcd": R}` (16 B values; null where etcd could
 * not run). A system that cannot be installed or started is skipped with the reason, never faked.
 *
 * Run: pnpm bench:compare   (BENCH_ROUNDS, default 3; BENCH_SECONDS per throughput row, default 4;
 * BENCH_SEQ_PUTS, default 500; BENCH_WARMUP_LOAD_SECONDS at 64 in flight per start, default 12)
 */
import { type EtcdCluster, ensureEtcd, startEtcd } from './etcd/etcd-cluster.js';
import { type KvStoreCluster, startKvStore } from './etcd/kv-store-cluster.js';
import { type PutFn, measureSequential, measureThroughput, valueOf } from './etcd/put-workload.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
const SEQ_PUTS = Number(process.env.BENCH_SEQ_PUTS ?? 500);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
const WARMUP_LOAD_SECONDS = Number(process.env.BENCH_WARMUP_LOAD_SECONDS ?? 12);
const WARMUP_SEQ_PUTS = 300;
const SIZES = [16, 1024];
const IN_FLIGHT = [1, 16, 64, 256];

type System = 'ours' | 'etcd';

/** Metric is one row of the table: its unit and the value each round measured, per system. */
interface Metric {
  size: number;
  name: string;
  unit: 'ms' | 'puts/s';
  rounds: Record<System, number[]>;
}

/** Row is one measurement of the workload: it yields the row's figures (sequential puts give two) and a line for the log. */
interface Row {
  size: number;
  label: string;
  run(put: PutFn): Promise<{ figures: { name: string; unit: Metric['unit']; value: number }[]; detail: string }>;
}

const log = (line: string): void => console.log(line);

/** rows lists the workload in order: per value size, sequential puts then each number in flight. */
function rows(): Row[] {
  const out: Row[] = [];
  for (const size of SIZES) {
    const value = valueOf(size);
    out.push({
      size,
      label: 'sequential',
      run: async (put) => {
        const seq = await measureSequential(put, value, SEQ_PUTS, 30);
        return {
          figures: [
            { name: 'sequential put p50', unit: 'ms', value: seq.p50Ms },
            { name: 'sequential put p99', unit: 'ms', value: seq.p99Ms },
          ],
          detail: `p50 ${seq.p50Ms.toFixed(2)} ms, p99 ${seq.p99Ms.toFixed(2)} ms (${seq.puts} puts)`,
        };
      },
    });
    for (const w of IN_FLIGHT) {
      out.push({
        size,
        label: `${w} in flight`,
        run: async (put) => {
          const t = await measureThroughput(put, value, w, SECONDS, WARMUP_SECONDS);
          return {
            figures: [{ name: `${w} in flight`, unit: 'puts/s', value: t.putsPerSec }],
            detail: `${Math.round(t.putsPerSec)} puts/s (${t.puts} puts in ${t.seconds.toFixed(2)} s${t.errors > 0 ? `, ${t.errors} errors` : ''})`,
          };
        },
      });
    }
  }
  return out;
}

/** ROWS is the workload, built once and run by every system in every round. */
const ROWS = rows();

/**
 * warmUp gives a system and its client the same discarded warm-up: WARMUP_LOAD_SECONDS at 64 puts in
 * flight, then WARMUP_SEQ_PUTS sequential puts, so the rows measure a system in its steady state, as a
 * long-running service is. (Ours keeps getting faster for about 10 s of load — sequential p50 0.83–0.92
 * ms after 2 s, 0.70–0.77 ms after 12 s — and etcd a little: 0.93 → 0.90 ms; see docs/benchmarks.md.)
 */
async function warmUp(put: PutFn): Promise<void> {
  await measureThroughput(put, valueOf(16), 64, WARMUP_LOAD_SECONDS, 0);
  await measureSequential(put, valueOf(16), WARMUP_SEQ_PUTS, 0);
}

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** ratio is ours over etcd of the two medians; null when either system has no figure. */
function ratio(m: Metric | undefined): number | null {
  const ours = m && median(m.rounds.ours);
  const etcd = m && median(m.rounds.etcd);
  return ours === undefined || etcd === undefined || etcd === 0 ? null : round2(ours / etcd);
}

/** roundRatios is the range of the per-round ratios (round i of ours over round i of etcd), e.g. "7.9–8.6x". */
function roundRatios(m: Metric): string {
  const n = Math.min(m.rounds.ours.length, m.rounds.etcd.length);
  const rs: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = m.rounds.etcd[i] as number;
    if (e !== 0) rs.push((m.rounds.ours[i] as number) / e);
  }
  if (rs.length === 0) return 'n/a';
  const lo = Math.min(...rs);
  const hi = Math.max(...rs);
  return rs.length === 1 ? `${round2(lo)}x` : `${round2(lo)}–${round2(hi)}x`;
}

function fmt(m: Metric, v: number | undefined): string {
  if (v === undefined) return 'n/a';
  return m.unit === 'ms' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const started = performance.now();
  const metrics: Metric[] = [];
  const record = (system: System, size: number, name: string, unit: Metric['unit'], v: number): void => {
    let m = metrics.find((x) => x.size === size && x.name === name);
    if (m === undefined) {
      m = { size, name, unit, rounds: { ours: [], etcd: [] } };
      metrics.push(m);
    }
    m.rounds[system].push(v);
  };
  const skipped: string[] = [];

  log(`compare-etcd: ${ROUNDS} rounds; per round and system ${SEQ_PUTS} sequential puts per size and ${SECONDS} s per throughput row (after ${WARMUP_SECONDS} s warm-up), values ${SIZES.join(' B and ')} B; each start of a system is warmed up first with ${WARMUP_LOAD_SECONDS} s at 64 in flight and ${WARMUP_SEQ_PUTS} sequential puts`);
  log('each round starts each system afresh, runs the whole workload on it alone and stops it; the systems take turns going first, so a slow spell of the machine is spread over both; each figure is the median of the rounds');
  const found = ensureEtcd(log);
  const etcdName = typeof found === 'string' ? 'etcd' : `etcd ${found.version}`;
  if (typeof found === 'string') skipped.push(`etcd skipped: ${found}`);
  const starters: { name: System; start(): Promise<{ put: PutFn; stop(): Promise<void>; describe: string }> }[] = [
    {
      name: 'ours',
      start: async () => {
        const c: KvStoreCluster = await startKvStore();
        return { put: c.put, stop: () => c.stop(), describe: `kv-store, 3 processes, native TCP client (KvTcpClient), leader pid ${c.leaderPid} at ${c.leaderClient} (HTTP ${c.leaderUrl})` };
      },
    },
  ];
  if (typeof found !== 'string') {
    starters.push({
      name: 'etcd',
      start: async () => {
        const c: EtcdCluster = await startEtcd(found.bin, found.version);
        return { put: c.put, stop: () => c.stop(), describe: `${found.version}, 3 members, leader at ${c.leaderEndpoint}` };
      },
    });
  }
  const failed = new Set<System>();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? starters : [...starters].reverse();
    for (const sys of order) {
      if (failed.has(sys.name)) continue;
      let running: { put: PutFn; stop(): Promise<void>; describe: string } | undefined;
      let at = 'start';
      try {
        running = await sys.start();
        log(`round ${round} ${sys.name}: ${running.describe}`);
        at = 'warm-up';
        await warmUp(running.put);
        for (const row of ROWS) {
          at = `${row.size} B ${row.label}`;
          const { figures, detail } = await row.run(running.put);
          for (const f of figures) record(sys.name, row.size, f.name, f.unit, f.value);
          log(`round ${round} ${sys.name} ${row.size} B ${row.label}: ${detail}`);
        }
      } catch (err) {
        failed.add(sys.name);
        skipped.push(`${sys.name} stopped in round ${round} at ${at}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await running?.stop();
      }
    }
  }

  for (const s of skipped) log(s);
  log('');
  log(`| value | metric | ours (kv-store, 3 processes) | ${etcdName} (3 members) | ours/etcd | per-round ours/etcd |`);
  log('|---:|---|---:|---:|---:|---:|');
  for (const m of metrics) {
    const r = ratio(m);
    log(`| ${m.size === 1024 ? '1 KiB' : `${m.size} B`} | ${m.name} (${m.unit}) | ${fmt(m, median(m.rounds.ours))} | ${fmt(m, median(m.rounds.etcd))} | ${r === null ? 'n/a' : `${r}x`} | ${roundRatios(m)} |`);
  }
  log(`medians of ${ROUNDS} rounds; latency rows: ours/etcd below 1 means ours is faster; throughput rows: above 1 means ours is faster. ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const find = (name: string): Metric | undefined => metrics.find((m) => m.size === 16 && m.name === name);
  console.log(JSON.stringify({ throughputRatioVsEtcd64: ratio(find('64 in flight')), seqP50LatencyRatioVsEtcd: ratio(find('sequential put p50')) }));
}

await main();
process.exit(0);
