/**
 * reconfig-catchup: how long a new server takes to catch up the previous configuration's log of
 * 1,000,000 entries when it pulls in parallel from k = 1, 2 and 4 continuing servers, each router link
 * into the new server limited to BANDWIDTH estimated bytes per tick (as between machines).
 *
 * Setup per k: configuration 1 = {1..k, 8}; its 1M-entry log and a decided stop sign naming
 * configuration 2 = {1..k, 9} are written straight into each source's MemoryStorage (building 1M entries by
 * consensus would measure the consensus, not the catch-up; every source's storage is what consensus
 * would have left there). The sources' supervisors start on that storage, report the decided log,
 * see the decided stop sign, switch to configuration 2 and send ReconfigInit; server 9 joins with
 * `joining: true`, pulls [0, 1M) in parallel segments, one per continuing server (8, removed, only
 * stands by as a fallback source and serves nothing unless a continuing server fails), replays them through its duplicate filter and
 * starts its pair. Measured from its `started` to its `completed` catch-up event: simulated ticks (the
 * bandwidth-bound time) and wall ms (this process, all servers on one thread), plus the bytes server
 * 1 (the old leader; k = 1 is leader-only transfer) sent over the limited links.
 * The last line is one JSON object: {"speedup2": R, "speedup4": R} (1-server ticks over k-server ticks).
 */
import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { type CatchUpEvent, type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';
import { SimClock } from './sim-clock.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const BANDWIDTH = Number(process.env.BENCH_BANDWIDTH ?? 250_000);
const TICK_MS = 10;
const NEW = 9;
/** REMOVED is a server of configuration 1 that is not in configuration 2 (a cluster needs two nodes, so k = 1 needs it). */
const REMOVED = 8;
const MIGRATION = { chunkSize: 2500, window: 4, timeoutTicks: 60, retryTicks: 20, initResendTicks: 10 };

type Entry = ReplicatedEntry<number>;


function buildLog(n: number): Entry[] {
  const out: Entry[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [[i], 1, 1, i, i]; // one application entry per log entry: 1M raw positions to migrate
  return out;
}

/** sourceStorage holds configuration 1's decided log and its decided stop sign, as consensus leaves them. */
function sourceStorage(log: Entry[], next: { configurationId: number; nodes: NodeId[] }): MemoryStorage<Entry> {
  const s = new MemoryStorage<Entry>();
  s.appendEntries(log);
  s.setStopsign({ nextConfig: next });
  s.setDecidedIdx(log.length + 1);
  return s;
}

interface Row {
  k: number;
  ticks: number;
  wallMs: number;
  leaderMB: number;
  totalMB: number;
}

async function run(k: number, log: Entry[]): Promise<Row> {
  const clock = new SimClock();
  const router = new Router<Entry>({ clock, tickMs: TICK_MS });
  const sources = Array.from({ length: k }, (_, i) => i + 1);
  const old = [...sources, REMOVED];
  const next = { configurationId: 2, nodes: [...sources, NEW] };
  for (const s of old) router.setBandwidth(s, NEW, BANDWIDTH);
  const common = { transport: router, tickMs: TICK_MS, server: { electionTickTimeout: 5, resendMessageTickTimeout: 10 }, migration: MIGRATION };
  const replicas = old.map((pid) => createReplica<number>({ clock, pid, nodes: old, storage: sourceStorage(log, next), ...common }));
  const joiner = createReplica<number>({ clock, pid: NEW, nodes: next.nodes, configurationId: 2, joining: true, storage: new MemoryStorage<Entry>(), ...common });
  let startTick: number | undefined;
  let startWall = 0;
  let done: { ticks: number; wallMs: number } | undefined;
  let tick = 0;
  joiner.actor.on('omnipaxos.catchUp', (e) => {
    const ev = e.event as CatchUpEvent;
    if (ev.kind === 'started' && startTick === undefined) {
      startTick = tick;
      startWall = performance.now();
    }
    if (ev.kind === 'completed') done = { ticks: tick - (startTick ?? 0), wallMs: performance.now() - startWall };
  });
  while (!done && tick < 100_000) {
    clock.increment(TICK_MS);
    tick += 1;
    await new Promise((r) => setImmediate(r));
  }
  if (!done) throw new Error(`k=${k}: the new server did not catch up`);
  const total = old.reduce((s, p) => s + router.bytesSent(p), 0);
  const row = { k, ...done, leaderMB: router.bytesSent(1) / 1e6, totalMB: total / 1e6 };
  for (const r of [...replicas, joiner]) await r.stop();
  await router.close();
  return row;
}

async function main(): Promise<void> {
  const log = buildLog(ENTRIES);
  console.log(`reconfig-catchup: ${ENTRIES.toLocaleString('en')} entries, links into the new server limited to ${BANDWIDTH.toLocaleString('en')} B/tick, chunk ${MIGRATION.chunkSize}, ${MIGRATION.window} in flight per source`);
  const rows: Row[] = [];
  for (const k of [1, 2, 4]) rows.push(await run(k, log));
  const base = rows[0] as Row;
  console.log('');
  console.log('| sources k | catch-up ticks | wall ms | old leader sent (MB) | all sources sent (MB) | speedup (ticks) | goal 0.8·k |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const sp = base.ticks / r.ticks;
    console.log(`| ${r.k} | ${r.ticks} | ${r.wallMs.toFixed(0)} | ${r.leaderMB.toFixed(1)} | ${r.totalMB.toFixed(1)} | ${sp.toFixed(2)} | ${(0.8 * r.k).toFixed(1)} |`);
  }
  const speed = (k: number): number => Number((base.ticks / (rows.find((r) => r.k === k) as Row).ticks).toFixed(2));
  console.log(JSON.stringify({ speedup2: speed(2), speedup4: speed(4) }));
}

await main();
