/**
 * compare-etcd — our kv-store (examples/kv-store: 3 processes on loopback, durable SQLite, driven over
 * its native TCP client protocol with `KvTcpClient`) against etcd 3.4 (Debian `etcd-server`: 3 members
 * on loopback, data in a temp folder, fsync on), etcd driven two ways: by this package's Go load
 * generator (`go/etcd-put-load.go`, etcd's own Go client `clientv3`: etcd at its best, the peer) and by
 * the `etcd3` npm client (what a Node user gets). Same workload, same key space, same machine: per value
 * size (16 B and 1 KiB) sequential puts on one connection (latency p50/p99), 64 and 256 puts in flight
 * on one connection, and a sweep of connections × in flight of which each system's best is kept.
 * Each of BENCH_ROUNDS rounds starts each system afresh, warms it up, runs the whole workload on it
 * alone and stops it, the systems taking turns going first (the order rotates each round): a slow
 * spell of a shared machine then lands on all of them instead of on whichever ran during it.
 * Per row: the median per system, ours over etcd-Go and over etcd-Node (with the range of the
 * per-round ratios), and the CPU µs per put of all server processes and of the client (/proc/<pid>/stat
 * for other processes, `process.cpuUsage()` for the in-process Node clients, over the measured window).
 * The last line is one JSON object (16 B values; null where a system could not run):
 * `{"throughputRatioVsEtcdGo64", "throughputRatioVsEtcdGo256", "bestThroughputRatioVsEtcdGo",
 * "seqP50LatencyRatioVsEtcdGo", "throughputRatioVsEtcdNode64", "serverCpuUsPerPut64"}`.
 * A system or client that cannot be installed, built or started is skipped with the reason printed,
 * never faked (without Go, etcd is driven by the Node client only).
 *
 * Run: pnpm bench:compare (11–13 minutes on 2 cores). Knobs: BENCH_ROUNDS (3), BENCH_SECONDS per throughput
 * point (3), BENCH_WARMUP_SECONDS before each point (0.5), BENCH_SEQ_PUTS (500),
 * BENCH_WARMUP_LOAD_SECONDS at 64 in flight per start (12), BENCH_SWEEP ("4x256,16x256,1x1024,4x1024,16x1024":
 * connections x in flight), BENCH_SIZES ("16,1024"), BENCH_SYSTEMS ("ours,etcdGo,etcdNode"), BENCH_GO (the
 * go command to build with; by default /usr/bin/go, installed with apt-get when missing and root).
 * BENCH_IDLE_SECONDS (3): no load after the workload, for the row of the servers' idle CPU.
 * BENCH_SMOKE=1 changes the defaults to a ~1.5-minute check: 1 round, 1 s points, 100 sequential puts,
 * 2 s warm-up, sweep "4x1024".
 */
import { Figures, type SystemName, bestConfigs, mainTable, medianOf, ratio, sweepTable } from './etcd/compare-report.js';
import { type Driver, type Measured, goDriver, nodeDriver } from './etcd/drivers.js';
import { ensureEtcd, startEtcd } from './etcd/etcd-cluster.js';
import { ensureGoLoad } from './etcd/go-put-load.js';
import { startKvStore } from './etcd/kv-store-cluster.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const env = (name: string, normal: string, smoke: string): string => process.env[name] ?? (SMOKE ? smoke : normal);
const ROUNDS = Math.max(1, Math.floor(Number(env('BENCH_ROUNDS', '3', '1'))));
const SECONDS = Number(env('BENCH_SECONDS', '3', '1'));
const WARMUP_SECONDS = Number(env('BENCH_WARMUP_SECONDS', '0.5', '0.3'));
const SEQ_PUTS = Math.max(1, Math.floor(Number(env('BENCH_SEQ_PUTS', '500', '100'))));
const WARMUP_LOAD_SECONDS = Number(env('BENCH_WARMUP_LOAD_SECONDS', '12', '2'));
const IDLE_SECONDS = Number(env('BENCH_IDLE_SECONDS', '3', '1'));
const WARMUP_SEQ_PUTS = 300;
const SEQ_WARMUP_PUTS = 30;
const SIZES = env('BENCH_SIZES', '16,1024', '16,1024').split(',').map(Number);
const ENABLED = new Set(env('BENCH_SYSTEMS', 'ours,etcdGo,etcdNode', 'ours,etcdGo,etcdNode').split(','));

/** Point is one throughput measurement: connections × puts in flight, under its row name. */
interface Point {
  conns: number;
  inFlight: number;
  name: string;
}

const pointName = (conns: number, inFlight: number): string => (conns === 1 && (inFlight === 64 || inFlight === 256) ? `${inFlight} in flight` : `${conns}×${inFlight}`);

/** POINTS are the rows 64 and 256 in flight on one connection, then the sweep (BENCH_SWEEP) without repeats. */
const POINTS: Point[] = (() => {
  const out: Point[] = [
    { conns: 1, inFlight: 64, name: pointName(1, 64) },
    { conns: 1, inFlight: 256, name: pointName(1, 256) },
  ];
  for (const spec of env('BENCH_SWEEP', '4x256,16x256,1x1024,4x1024,16x1024', '4x1024').split(',').filter((s) => s.trim() !== '')) {
    const [c, f] = spec.toLowerCase().split('x').map(Number);
    if (c === undefined || f === undefined || !(c >= 1 && f >= 1)) throw new Error(`BENCH_SWEEP: "${spec}" is not <connections>x<in flight>`);
    if (!out.some((p) => p.conns === c && p.inFlight === f)) out.push({ conns: c, inFlight: f, name: pointName(c, f) });
  }
  return out;
})();
const SWEEP_NAMES = POINTS.slice(2).map((p) => p.name);
const IDLE = 'idle CPU per server process';
const MAIN_NAMES = ['sequential put p50', 'sequential put p99', '64 in flight', '256 in flight', 'best of sweep', IDLE];

const log = (line: string): void => console.log(line);
const us = (v: number | undefined): string => (v === undefined ? 'n/a' : `${Math.round(v)} µs`);
const cpuNote = (m: Measured): string => `server ${us(m.serverCpuUsPerPut)}/put, client ${us(m.clientCpuUsPerPut)}/put`;

/** runWorkload runs the warm-up and every row on one started system for round `round`, recording into `figs`. */
async function runWorkload(figs: Figures, sys: SystemName, round: number, d: Driver, at: (where: string) => void): Promise<void> {
  at('warm-up');
  await d.throughput(16, 1, 64, WARMUP_LOAD_SECONDS, 0);
  await d.sequential(16, WARMUP_SEQ_PUTS, 0);
  for (const size of SIZES) {
    at(`${size} B sequential`);
    const seq = await d.sequential(size, SEQ_PUTS, SEQ_WARMUP_PUTS);
    const cpu = { server: seq.serverCpuUsPerPut, client: seq.clientCpuUsPerPut };
    figs.record(sys, round, size, 'sequential put p50', 'ms', { value: seq.p50Ms, ...cpu });
    figs.record(sys, round, size, 'sequential put p99', 'ms', { value: seq.p99Ms, ...cpu });
    log(`round ${round} ${sys} ${size} B sequential: p50 ${seq.p50Ms.toFixed(2)} ms, p99 ${seq.p99Ms.toFixed(2)} ms (${seq.puts} puts); ${cpuNote(seq)}`);
    let best: { value: number; server: number | undefined; client: number | undefined; config: string } | undefined;
    for (const p of POINTS) {
      at(`${size} B ${p.name}`);
      const t = await d.throughput(size, p.conns, p.inFlight, SECONDS, WARMUP_SECONDS);
      const fig = { value: t.putsPerSec, server: t.serverCpuUsPerPut, client: t.clientCpuUsPerPut, config: `${p.conns}×${p.inFlight}` };
      figs.record(sys, round, size, p.name, 'puts/s', fig);
      if (best === undefined || fig.value > best.value) best = fig;
      log(`round ${round} ${sys} ${size} B ${p.conns} conn × ${p.inFlight} in flight: ${Math.round(t.putsPerSec)} puts/s (${t.puts} puts in ${SECONDS} s${t.errors > 0 ? `, ${t.errors} errors` : ''}); ${cpuNote(t)}`);
    }
    if (best !== undefined) figs.record(sys, round, size, 'best of sweep', 'puts/s', best);
  }
  if (IDLE_SECONDS > 0) {
    at('idle');
    await new Promise((r) => setTimeout(r, 1_000)); // let the last load's stragglers finish
    const idle = await d.idleCpuPercent(IDLE_SECONDS);
    if (idle !== undefined) figs.record(sys, round, 0, IDLE, '% of a core', { value: idle, server: undefined, client: undefined });
    log(`round ${round} ${sys} idle: ${idle === undefined ? 'n/a' : idle.toFixed(1)} % of a core per server process over ${IDLE_SECONDS} s`);
  }
}

/** Starter starts one system afresh and returns its driver. */
type Starter = { name: SystemName; start(): Promise<Driver> };

async function main(): Promise<void> {
  const started = performance.now();
  const figs = new Figures();
  const skipped: string[] = [];
  log(`compare-etcd${SMOKE ? ' (smoke mode)' : ''}: ${ROUNDS} rounds; per round and system, per value size (${SIZES.join(' B, ')} B): ${SEQ_PUTS} sequential puts, then ${SECONDS} s per throughput point (after ${WARMUP_SECONDS} s of the same load) at connections × in flight ${POINTS.map((p) => `${p.conns}×${p.inFlight}`).join(', ')}; each start of a system is warmed up first with ${WARMUP_LOAD_SECONDS} s at 64 in flight and ${WARMUP_SEQ_PUTS} sequential puts`);
  log('each round starts each system afresh, runs the whole workload on it alone and stops it; the order rotates each round; each figure is the median of the rounds; keys cycle over 1,000 names');
  const etcd = ENABLED.has('etcdGo') || ENABLED.has('etcdNode') ? ensureEtcd(log) : 'not asked for (BENCH_SYSTEMS)';
  const go = ENABLED.has('etcdGo') && typeof etcd !== 'string' ? ensureGoLoad(log, process.env.BENCH_GO) : undefined;
  const etcdName = typeof etcd === 'string' ? 'etcd' : `etcd ${etcd.version}`;
  if (typeof etcd === 'string') skipped.push(`etcd skipped: ${etcd}`);
  if (typeof go === 'string') {
    skipped.push(`etcd-Go skipped, etcd is driven by the Node client only: ${go}`);
    log(`NOTE: the Go load generator is not available, so etcd is driven by the Node etcd3 client only: ${go}`);
  } else if (go !== undefined) log(`Go load generator: ${go.bin} (${go.goVersion})`);

  const starters: Starter[] = [];
  if (ENABLED.has('ours')) {
    starters.push({
      name: 'ours',
      start: async () => {
        const c = await startKvStore();
        return nodeDriver({ describe: `kv-store, 3 processes, native TCP client (KvTcpClient), leader pid ${c.leaderPid} at ${c.leaderClient}`, serverPids: c.osPids, put: c.put, openPuts: c.openPuts, stop: () => c.stop() });
      },
    });
  }
  if (typeof etcd !== 'string') {
    if (go !== undefined && typeof go !== 'string') {
      const { bin } = go;
      starters.push({
        name: 'etcdGo',
        start: async () => {
          const c = await startEtcd(etcd.bin, etcd.version);
          return goDriver({ describe: `${etcd.version}, 3 members, leader at ${c.leaderEndpoint}, Go clientv3 (etcd-put-load)`, bin, endpoint: c.leaderEndpoint, serverPids: c.osPids, stop: () => c.stop() });
        },
      });
    }
    if (ENABLED.has('etcdNode')) {
      starters.push({
        name: 'etcdNode',
        start: async () => {
          const c = await startEtcd(etcd.bin, etcd.version);
          return nodeDriver({ describe: `${etcd.version}, 3 members, leader at ${c.leaderEndpoint}, Node etcd3 client`, serverPids: c.osPids, put: c.put, openPuts: c.openPuts, stop: () => c.stop() });
        },
      });
    }
  }

  const failed = new Set<SystemName>();
  for (let round = 1; round <= ROUNDS; round++) {
    const k = (round - 1) % Math.max(1, starters.length);
    const order = [...starters.slice(k), ...starters.slice(0, k)];
    for (const sys of order) {
      if (failed.has(sys.name)) continue;
      let driver: Driver | undefined;
      let where = 'start';
      try {
        driver = await sys.start();
        log(`round ${round} ${sys.name}: ${driver.describe}`);
        await runWorkload(figs, sys.name, round, driver, (w) => {
          where = w;
        });
      } catch (err) {
        failed.add(sys.name);
        skipped.push(`${sys.name} stopped in round ${round} at ${where}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await driver?.stop();
      }
    }
  }

  for (const s of skipped) log(s);
  log('');
  for (const line of mainTable(figs, MAIN_NAMES, { go: `${etcdName} via Go clientv3`, node: `${etcdName} via Node etcd3` })) log(line);
  if (SWEEP_NAMES.length > 0) {
    log('');
    for (const line of sweepTable(figs, SWEEP_NAMES)) log(line);
  }
  for (const line of bestConfigs(figs, 'best of sweep')) log(line);
  log(`medians of ${ROUNDS} rounds; all three systems have 3 server processes; ours and etcd-Node are driven from this Node process, etcd-Go from the Go generator's own process; latency rows: a ratio below 1 means ours is faster; throughput rows: above 1 means ours is faster. ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const find = (name: string) => figs.find(16, name);
  const cpu64 = medianOf(find('64 in flight'), 'ours', 'server');
  console.log(
    JSON.stringify({
      throughputRatioVsEtcdGo64: ratio(find('64 in flight'), 'etcdGo'),
      throughputRatioVsEtcdGo256: ratio(find('256 in flight'), 'etcdGo'),
      bestThroughputRatioVsEtcdGo: ratio(find('best of sweep'), 'etcdGo'),
      seqP50LatencyRatioVsEtcdGo: ratio(find('sequential put p50'), 'etcdGo'),
      throughputRatioVsEtcdNode64: ratio(find('64 in flight'), 'etcdNode'),
      serverCpuUsPerPut64: cpu64 === undefined ? null : Math.round(cpu64 * 10) / 10,
    }),
  );
}

await main();
process.exit(0);
