/**
 * single-thread runs one benchmark row with the 3 replicas in the main thread, driven by a plain loop:
 * their commits happen one after another, as if all three shared one disk and one core. Kept beside
 * the worker variant so the effect of overlapping syncs is visible.
 */
import { join } from 'node:path';
import { OmniPaxos } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import type { BenchEntry, BenchMessage } from './protocol.js';
import type { Row, RowOptions } from './row.js';


/** runSingleThreadRow measures durable decided entries/s with the 3 replicas on one thread. */
export function runSingleThreadRow(opts: RowOptions): Row {
  const { nodes, inFlight } = opts;
  const storages = new Map<number, SqliteStorage<BenchEntry>>();
  const replicas = new Map<number, OmniPaxos<BenchEntry>>();
  const inbox = new Map<number, BenchMessage[]>();
  for (const pid of nodes) {
    const s = SqliteStorage.open<BenchEntry>({ path: join(opts.dir, `single-${inFlight}-${pid}.sqlite`), clusterId: 'bench', pid, synchronous: opts.synchronous });
    storages.set(pid, s);
    replicas.set(pid, new OmniPaxos<BenchEntry>({ clusterConfig: { configurationId: 1, nodes }, serverConfig: { pid } }, s));
    inbox.set(pid, []);
  }
  let commits = 0;
  let loops = 0;
  let proposed = 0;
  let leaderPid = 0;
  let durableDecided = 0;
  let base = 0;
  let inFlightGoal = 0;
  const flush = (s: SqliteStorage<BenchEntry>): void => {
    if (s.hasUnflushedWrites()) commits++;
    s.flushSync();
  };
  /**
   * One loop visits the leader first, then the followers. Each replica handles what was routed to it,
   * then its outgoing messages are taken, its storage flushed, and only then are they routed. At the
   * leader, decisions are acknowledged right after a flush that covers them, and the client refills
   * its window at once, so the new appends share the leader's second flush of the loop.
   */
  const step = (tick: boolean): void => {
    loops++;
    const order = leaderPid ? [leaderPid, ...nodes.filter((p) => p !== leaderPid)] : nodes;
    for (const pid of order) {
      const r = replicas.get(pid) as OmniPaxos<BenchEntry>;
      const s = storages.get(pid) as SqliteStorage<BenchEntry>;
      const msgs = inbox.get(pid) as BenchMessage[];
      inbox.set(pid, []);
      for (const m of msgs) r.handleIncoming(m);
      if (tick) r.tick();
      if (pid === leaderPid && inFlightGoal > 0) {
        const decided = r.getDecidedIdx();
        flush(s);
        durableDecided = Math.max(durableDecided, decided);
        while (proposed - (durableDecided - base) < inFlightGoal) r.append({ id: proposed++, payload: opts.payload });
      }
      const out = r.takeOutgoingMessages();
      flush(s);
      for (const m of out) (inbox.get(m.to) as BenchMessage[]).push(m);
    }
  };
  for (let i = 0; i < 10_000 && leaderPid === 0; i++) {
    step(true);
    const l = replicas.get(nodes[0] as number)?.getCurrentLeader();
    if (l?.accepted) leaderPid = l.pid;
  }
  if (leaderPid === 0) throw new Error('no leader elected');
  durableDecided = base = (replicas.get(leaderPid) as OmniPaxos<BenchEntry>).getDecidedIdx();
  inFlightGoal = inFlight;
  const run = (ms: number): void => {
    const end = Date.now() + ms;
    while (Date.now() < end) step(loops % 50 === 0);
  };
  run(opts.warmupMs);
  const [d0, c0, l0, t0] = [durableDecided, commits, loops, performance.now()];
  run(opts.measureMs);
  const secs = (performance.now() - t0) / 1000;
  for (const s of storages.values()) s.close();
  const entries = durableDecided - d0;
  return {
    inFlight,
    entriesPerSec: Math.round(entries / secs),
    commitsPerSec: Math.round((commits - c0) / secs),
    entriesPerCommit: Math.round((entries / Math.max(1, commits - c0)) * 10) / 10,
    loopsPerSec: Math.round((loops - l0) / secs),
    note: '',
  };
}
