/**
 * storage-throughput measures durable decided entries/s: 3 OmniPaxos replicas in one process, each on
 * its own SqliteStorage file with fsync on (synchronous=FULL), driven by a plain loop that follows the
 * durability contract (take outgoing messages, flush, then deliver; count an entry only once the
 * leader has flushed after deciding it). Beside it: this machine's plain write+fdatasync rate.
 *
 * Run: pnpm bench:storage   (BENCH_SECONDS=<s> changes the time per row; default 8)
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Message, OmniPaxos } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const NODES = [1, 2, 3];
const PAYLOAD = 'x'.repeat(64);

interface Entry {
  id: number;
  payload: string;
}

interface Row {
  inFlight: number;
  entriesPerSec: number;
  commitsPerSec: number;
  entriesPerCommit: number;
  loopsPerSec: number;
}

function runCluster(inFlight: number, dir: string): Row {
  const storages = new Map<number, SqliteStorage<Entry>>();
  const replicas = new Map<number, OmniPaxos<Entry>>();
  const inbox = new Map<number, Message<Entry, never>[]>();
  for (const pid of NODES) {
    const s = SqliteStorage.open<Entry>({ path: join(dir, `bench-${inFlight}-${pid}.sqlite`), clusterId: 'bench', pid });
    storages.set(pid, s);
    replicas.set(pid, new OmniPaxos<Entry>({ clusterConfig: { configurationId: 1, nodes: NODES }, serverConfig: { pid } }, s));
    inbox.set(pid, []);
  }
  let commits = 0;
  let loops = 0;
  let proposed = 0;
  let leaderPid = 0;
  let durableDecided = 0;
  let base = 0;
  let inFlightGoal = 0;
  const flush = (s: SqliteStorage<Entry>): void => {
    if (s.hasUnflushedWrites()) commits++;
    s.flushSync();
  };
  /**
   * One loop visits the leader first, then the followers. Each replica handles what was routed to it,
   * then its outgoing messages are taken, its storage flushed, and only then are they routed (the
   * barrier). At the leader, decisions become acknowledged right after a flush, and the client refills
   * its window of proposals at once, so their appends share the leader's next flush.
   */
  const step = (tick: boolean): void => {
    loops++;
    const order = leaderPid ? [leaderPid, ...NODES.filter((p) => p !== leaderPid)] : NODES;
    for (const pid of order) {
      const r = replicas.get(pid) as OmniPaxos<Entry>;
      const s = storages.get(pid) as SqliteStorage<Entry>;
      const msgs = inbox.get(pid) as Message<Entry, never>[];
      inbox.set(pid, []);
      for (const m of msgs) r.handleIncoming(m);
      if (tick) r.tick();
      if (pid === leaderPid && inFlightGoal > 0) {
        const decided = r.getDecidedIdx();
        flush(s);
        durableDecided = Math.max(durableDecided, decided);
        while (proposed - (durableDecided - base) < inFlightGoal) r.append({ id: proposed++, payload: PAYLOAD });
      }
      const out = r.takeOutgoingMessages();
      flush(s);
      for (const m of out) (inbox.get(m.to) as Message<Entry, never>[]).push(m);
    }
  };
  // Elect a leader.
  for (let i = 0; i < 10_000 && leaderPid === 0; i++) {
    step(true);
    const l = replicas.get(1)?.getCurrentLeader();
    if (l?.accepted) leaderPid = l.pid;
  }
  if (leaderPid === 0) throw new Error('no leader elected');
  durableDecided = base = (replicas.get(leaderPid) as OmniPaxos<Entry>).getDecidedIdx();
  inFlightGoal = inFlight;
  const run = (ms: number): void => {
    const end = Date.now() + ms;
    while (Date.now() < end) step(loops % 50 === 0);
  };
  run(Math.min(1000, SECONDS * 200)); // warm up
  const [d0, c0, l0, t0] = [durableDecided, commits, loops, performance.now()];
  run(SECONDS * 1000);
  const secs = (performance.now() - t0) / 1000;
  for (const s of storages.values()) s.close();
  const entries = durableDecided - d0;
  return {
    inFlight,
    entriesPerSec: Math.round(entries / secs),
    commitsPerSec: Math.round((commits - c0) / secs),
    entriesPerCommit: Math.round((entries / Math.max(1, commits - c0)) * 10) / 10,
    loopsPerSec: Math.round((loops - l0) / secs),
  };
}

/** syncRate measures a write(4 KiB) + sync loop over a 1 MiB region of a temp file. */
function syncRate(dir: string, ms: number, sync: (fd: number) => void): number {
  const fd = openSync(join(dir, 'sync.bin'), 'w');
  const block = Buffer.alloc(4096, 1);
  let n = 0;
  const end = Date.now() + ms;
  const t0 = performance.now();
  while (Date.now() < end) {
    writeSync(fd, block, 0, block.length, (n % 256) * 4096);
    sync(fd);
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  closeSync(fd);
  return Math.round(rate);
}

const dir = mkdtempSync(join(tmpdir(), 'omnipaxos-bench-storage-'));
try {
  const fdatasyncs = syncRate(dir, Math.min(3000, SECONDS * 400), fdatasyncSync);
  const fsyncs = syncRate(dir, Math.min(2000, SECONDS * 250), fsyncSync);
  const rows = [1, 16, 128].map((k) => runCluster(k, dir));
  console.log(`storage throughput: 3 replicas, SqliteStorage (WAL, synchronous=FULL), ${SECONDS}s per row, ${PAYLOAD.length}-byte payloads`);
  console.log('| in flight | durable decided entries/s | commits (fsync) /s, 3 replicas | entries per commit | loops/s |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.inFlight} | ${r.entriesPerSec} | ${r.commitsPerSec} | ${r.entriesPerCommit} | ${r.loopsPerSec} |`);
  }
  console.log(`| plain file write+fdatasync (4 KiB) | ${fdatasyncs}/s | | | |`);
  console.log(`| plain file write+fsync (4 KiB) | ${fsyncs}/s | | | |`);
  const last = rows.find((r) => r.inFlight === 128) as Row;
  console.log(JSON.stringify({ durableEntriesPerSec128: last.entriesPerSec, fdatasyncPerSec: fdatasyncs }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
