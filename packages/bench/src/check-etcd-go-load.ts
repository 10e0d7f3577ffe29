/**
 * check-etcd-go-load — checks this package's Go load generator (`go/etcd-put-load.go`) against etcd's
 * official benchmark tool on the same 3-member etcd, taking turns row by row: sequential puts, 64 and
 * 256 in flight on one connection, and 16 connections × 1,024 in flight, 16 B values over 1,000 keys.
 * The official tool is not built here (its source is not in a Debian package): ETCD_BENCHMARK names
 * a `benchmark` binary built from etcd's `tools/benchmark` of the same version; without it the script
 * says so and exits. Prints each run, then a table of medians over CHECK_ROUNDS rounds (default 3)
 * and one JSON line of our-over-official ratios.
 *
 * Run: ETCD_BENCHMARK=/path/to/benchmark pnpm --silent exec tsx --conditions=source packages/bench/src/check-etcd-go-load.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { median } from './etcd/compare-report.js';
import { ensureEtcd, startEtcd } from './etcd/etcd-cluster.js';
import { ensureGoLoad, runGoLoad } from './etcd/go-put-load.js';

const OFFICIAL = process.env.ETCD_BENCHMARK;
const ROUNDS = Math.max(1, Math.floor(Number(process.env.CHECK_ROUNDS ?? 3)));
const SECONDS = 3;

/** A row: connections × in flight, and how many puts the official tool makes (it runs by count). */
const ROWS = [
  { name: 'sequential', conns: 1, clients: 1, total: 500 },
  { name: '64 in flight', conns: 1, clients: 64, total: 15_000 },
  { name: '256 in flight', conns: 1, clients: 256, total: 25_000 },
  { name: '16 conns × 1024', conns: 16, clients: 1024, total: 30_000 },
] as const;

interface Run {
  putsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** official runs etcd's tool for one row and reads its summary (Requests/sec, 50 % and 99 % latency). */
function official(bin: string, endpoint: string, row: (typeof ROWS)[number]): Run {
  const out = execFileSync(
    bin,
    ['--endpoints', endpoint.replace(/^http:\/\//, ''), '--conns', String(row.conns), '--clients', String(row.clients), 'put', '--total', String(row.total), '--val-size', '16', '--key-space-size', '1000', '--sequential-keys'],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'], timeout: 300_000 },
  );
  const num = (re: RegExp): number => Number(re.exec(out)?.[1]);
  return { putsPerSec: num(/Requests\/sec:\s+([\d.]+)/), p50Ms: num(/50% in ([\d.]+) secs/) * 1000, p99Ms: num(/99% in ([\d.]+) secs/) * 1000 };
}

/** ours runs the Go generator for one row: by count for sequential puts, else SECONDS after 0.5 s. */
async function ours(bin: string, endpoint: string, row: (typeof ROWS)[number]): Promise<Run> {
  const spec = row.clients === 1 ? { count: row.total, warmupCount: 30, keyPrefix: 'seq-' } : { seconds: SECONDS, warmupSeconds: 0.5, keyPrefix: 'tp-' };
  return runGoLoad(bin, { endpoint, conns: row.conns, clients: row.clients, valueSize: 16, ...spec }, () => undefined).result;
}

async function main(): Promise<void> {
  if (OFFICIAL === undefined || !existsSync(OFFICIAL)) {
    console.log(`ETCD_BENCHMARK must name etcd's benchmark tool binary (got ${OFFICIAL ?? 'nothing'}): nothing to check against`);
    return;
  }
  const etcd = ensureEtcd(console.log);
  if (typeof etcd === 'string') return console.log(`etcd not available: ${etcd}`);
  const go = ensureGoLoad(console.log, process.env.BENCH_GO);
  if (typeof go === 'string') return console.log(`Go load generator not available: ${go}`);
  const runs = new Map<string, { official: Run[]; ours: Run[] }>(ROWS.map((r) => [r.name, { official: [], ours: [] }]));
  for (let round = 1; round <= ROUNDS; round++) {
    const c = await startEtcd(etcd.bin, etcd.version);
    try {
      await runGoLoad(go.bin, { endpoint: c.leaderEndpoint, conns: 1, clients: 64, valueSize: 16, keyPrefix: 'tp-', seconds: 5 }, () => undefined).result; // warm-up, discarded
      for (const row of ROWS) {
        const order: ('official' | 'ours')[] = round % 2 === 1 ? ['official', 'ours'] : ['ours', 'official'];
        for (const who of order) {
          const r = who === 'official' ? official(OFFICIAL, c.leaderEndpoint, row) : await ours(go.bin, c.leaderEndpoint, row);
          runs.get(row.name)?.[who].push(r);
          console.log(`round ${round} ${row.name} ${who}: ${Math.round(r.putsPerSec)} puts/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
        }
      }
    } finally {
      await c.stop();
    }
  }
  const json: Record<string, number> = {};
  console.log('| row | official puts/s | ours puts/s | ours/official | official p50 / p99 ms | ours p50 / p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, r] of runs) {
    const m = (xs: Run[], f: keyof Run): number => median(xs.map((x) => x[f])) ?? Number.NaN;
    const o = m(r.official, 'putsPerSec');
    const g = m(r.ours, 'putsPerSec');
    json[name] = Math.round((g / o) * 100) / 100;
    console.log(`| ${name} | ${Math.round(o)} | ${Math.round(g)} | ${json[name]}x | ${m(r.official, 'p50Ms').toFixed(2)} / ${m(r.official, 'p99Ms').toFixed(2)} | ${m(r.ours, 'p50Ms').toFixed(2)} / ${m(r.ours, 'p99Ms').toFixed(2)} |`);
  }
  console.log(`medians of ${ROUNDS} rounds, etcd ${etcd.version}, one cluster per round, the two tools taking turns per row`);
  console.log(JSON.stringify({ oursOverOfficialPutsPerSec: json }));
}

await main();
process.exit(0);
