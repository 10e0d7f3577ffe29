/**
 * replica-worker is one replica of the storage benchmark in its own thread: it owns an OmniPaxos
 * replica and its SqliteStorage (own database file, synchronous=FULL) and talks to its peers over
 * MessagePorts. It follows the durability contract of DESIGN.md batch by batch:
 *
 *   handle every message and tick that arrived → take the outgoing messages and the decided index →
 *   await storage.flush() → send the messages → report entries below that decided index to the client.
 *
 * The client sits next to the replica (as the kv-store's HTTP handler does): once this worker leads and
 * the main thread asked for load, it keeps `inFlight` proposals unacknowledged, proposing new ones
 * right after an acknowledgement, so they land in the next batch (and its commit).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { OmniPaxos } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import type { BenchEntry, BenchMessage, FromWorker, ReplicaWorkerData, ToWorker, WorkerStats } from './protocol.js';

const data = workerData as ReplicaWorkerData;
const parent = parentPort as NonNullable<typeof parentPort>;
const storage = SqliteStorage.open<BenchEntry>({
  path: data.path,
  clusterId: 'bench',
  pid: data.pid,
  synchronous: data.synchronous,
});
const replica = new OmniPaxos<BenchEntry>(
  { clusterConfig: { configurationId: 1, nodes: data.nodes }, serverConfig: { pid: data.pid } },
  storage,
);
const peers = new Map<number, MessagePort>(Object.entries(data.peers).map(([pid, port]) => [Number(pid), port]));

let inbox: BenchMessage[] = [];
let ticksDue = 0;
let scheduled = false;
let stopped = false;
let leader = 0;
const stats = { commits: 0, batches: 0, reported: 0 };
/** The client: how many proposals it keeps unacknowledged (0 = idle), its payload and counters. */
const client = { inFlight: 0, payload: '', proposed: 0, base: -1 };

function post(m: FromWorker): void {
  parent.postMessage(m);
}

function schedule(): void {
  if (scheduled || stopped) return;
  scheduled = true;
  setImmediate(() => void runBatch().catch(fail));
}

function fail(err: unknown): void {
  stopped = true;
  post({ type: 'error', message: `replica ${data.pid}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
}

/** refill proposes until the client has `inFlight` entries unacknowledged (leader only). */
function refill(): boolean {
  if (client.inFlight === 0 || leader !== data.pid) return false;
  if (client.base < 0) client.base = stats.reported;
  let appended = false;
  while (client.proposed - (stats.reported - client.base) < client.inFlight) {
    replica.append({ id: client.proposed++, payload: client.payload });
    appended = true;
  }
  return appended;
}

/** flush commits this batch's writes durably, counting commits that wrote something. */
async function flush(): Promise<void> {
  if (storage.hasUnflushedWrites()) stats.commits++;
  await storage.flush();
}

/** runBatch is one turn of the contract: handle, take, flush, send, report. */
async function runBatch(): Promise<void> {
  scheduled = false;
  if (stopped) return;
  const msgs = inbox;
  inbox = [];
  for (const m of msgs) replica.handleIncoming(m);
  for (; ticksDue > 0; ticksDue--) replica.tick();
  if (client.inFlight > 0 && leader === data.pid) {
    // New decisions are acknowledged after a flush covering them; the client refills its window at
    // once, so its appends join this batch and its AcceptDecide (which carries the decided index,
    // replacing a Decide of its own: the followers then commit once per round, not twice).
    const decided = replica.getDecidedIdx();
    if (decided > stats.reported) {
      await flush();
      stats.reported = decided;
    }
    refill();
  }
  const out = replica.takeOutgoingMessages();
  const decided = replica.getDecidedIdx();
  await flush();
  stats.batches++;
  send(out);
  // Reported only now: the flush above covered the decision (and the entries below it).
  if (decided > stats.reported) stats.reported = decided;
  const l = replica.getCurrentLeader();
  const nowLeader = l?.accepted ? l.pid : 0;
  if (nowLeader !== leader) {
    leader = nowLeader;
    if (leader === data.pid) post({ type: 'leader', pid: data.pid });
  }
  if (refill() || inbox.length > 0 || ticksDue > 0) schedule();
}

/** send groups the outgoing messages by peer: one postMessage (one structured clone) per peer. */
function send(out: BenchMessage[]): void {
  const byPeer = new Map<number, BenchMessage[]>();
  for (const m of out) {
    const list = byPeer.get(m.to);
    if (list) list.push(m);
    else byPeer.set(m.to, [m]);
  }
  for (const [to, list] of byPeer) peers.get(to)?.postMessage(list);
}

function snapshot(): WorkerStats {
  return { pid: data.pid, at: performance.timeOrigin + performance.now(), ...stats, leader };
}

for (const port of peers.values()) {
  port.on('message', (list: BenchMessage[]) => {
    for (const m of list) inbox.push(m);
    schedule();
  });
}
const ticker = setInterval(() => {
  ticksDue++;
  schedule();
}, data.tickMs);

parent.on('message', (m: ToWorker) => {
  if (m.type === 'load') {
    client.inFlight = m.inFlight;
    client.payload = m.payload;
    if (refill()) schedule();
  } else if (m.type === 'stats') {
    post({ type: 'stats', stats: snapshot() });
  } else {
    stopped = true;
    clearInterval(ticker);
    for (const port of peers.values()) port.close();
    storage.close();
    post({ type: 'stopped' });
    parent.close();
  }
});
schedule();
