/**
 * Reconfiguration example: servers {1, 2, 3} replicate a log; server 3 crashes; the application asks
 * server 1 for configuration 2 = {1, 2, 4}. Once the stop sign is decided, new server 4 pulls the old
 * log in parallel from the continuing servers 1 and 2 (links into 4 are bandwidth-limited so the pull
 * takes visible time), replays it, joins, and the cluster keeps deciding. Runs on a simulated clock and
 * exits by itself.
 */
import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { type CatchUpEvent, type Replica, type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';
import { SimulatedClock } from 'xstate';

const TICK_MS = 10;
const clock = new SimulatedClock();
const router = new Router<ReplicatedEntry<string>>({ clock, tickMs: TICK_MS });
const replicas = new Map<NodeId, Replica<string>>();
let tick = 0;
const log = (msg: string): void => console.log(`[tick ${String(tick).padStart(4)}] ${msg}`);
const common = {
  transport: router,
  clock,
  tickMs: TICK_MS,
  server: { electionTickTimeout: 5, resendMessageTickTimeout: 10 },
  migration: { chunkSize: 100, window: 2, timeoutTicks: 30 },
};

function describe(pid: NodeId, e: CatchUpEvent): string {
  switch (e.kind) {
    case 'started':
      return `server ${pid} starts pulling [${e.from}, ${e.to}) for configuration ${e.configurationId}: ${e.segments.map((s) => `[${s.from}, ${s.to}) from ${s.source}`).join(', ')}`;
    case 'chunk':
      return `server ${pid} got [${e.from}, ${e.to}) from ${e.source} (${e.received}/${e.total})`;
    case 'snapshot':
      return `server ${pid} got a snapshot of [0, ${e.to}) from ${e.source}`;
    case 'reassigned':
      return `server ${pid}: source ${e.failed} failed (${e.reason}); moved ${e.ranges.map((r) => `[${r.from}, ${r.to}) to ${r.source}`).join(', ')}`;
    case 'completed':
      return `server ${pid} caught up ${e.entries} entries in ${e.ticks} ticks and starts configuration ${e.configurationId}`;
    case 'handedOver':
      return `server ${pid} handed over configuration ${e.configurationId}'s history and retires`;
  }
}

function start(pid: NodeId, nodes: NodeId[], extra: { configurationId?: number; joining?: boolean } = {}): void {
  const r = createReplica<string>({ pid, nodes, storage: new MemoryStorage<ReplicatedEntry<string>>(), ...common, ...extra });
  r.actor.on('omnipaxos.catchUp', (e) => {
    log(describe(pid, e.event));
  });
  r.actor.on('omnipaxos.reconfigured', (e) => log(`server ${pid} runs configuration ${e.config.configurationId} = {${e.config.nodes.join(',')}}`));
  replicas.set(pid, r);
}

async function advance(until: () => boolean, max: number, what: string): Promise<void> {
  for (let i = 0; i < max && !until(); i++) {
    clock.increment(TICK_MS);
    tick += 1;
    await new Promise((r) => setImmediate(r));
  }
  if (!until()) throw new Error(`${what} did not happen within ${max} ticks`);
}

const get = (pid: NodeId): Replica<string> => replicas.get(pid) as Replica<string>;

for (const pid of [1, 2, 3]) start(pid, [1, 2, 3]);
await advance(() => get(1).getLeader() !== undefined && get(1).getLeader() === get(2).getLeader(), 500, 'an election');
log(`leader of configuration 1: ${get(1).getLeader()}`);
let done = false;
void Promise.all(Array.from({ length: 1000 }, (_, i) => get(((i % 3) + 1) as NodeId).append(`op-${i}`))).then(() => (done = true));
await advance(() => done, 2000, '1000 appends');
log('1000 entries decided in configuration 1');

await get(3).stop();
log('server 3 crashed');
const next = { configurationId: 2, nodes: [1, 2, 4] };
for (const src of [1, 2, 3]) router.setBandwidth(src, 4, 4000); // ~40 entries per tick per link
start(4, next.nodes, { configurationId: 2, joining: true });
get(1).reconfigure(next);
log('server 1 proposes configuration 2 = {1,2,4}');
await advance(() => get(4).getDecided().length >= 1000 && get(4).getLeader() !== undefined, 3000, 'the catch-up');

let after: { idx: number } | undefined;
void get(4).append('after-reconfiguration').then((r) => (after = r));
await advance(() => after !== undefined, 1000, 'an append in configuration 2');
log(`server 4 appended "after-reconfiguration" at global index ${after?.idx}`);
await advance(() => [1, 2, 4].every((p) => get(p).getDecided().length === 1001), 500, 'delivery everywhere');
const same = [1, 2, 4].map((p) => get(p).getDecided().map((d) => `${d.idx}:${d.entry}`).join('|')).every((l, _, all) => l === all[0]);
log(`servers 1, 2 and 4 hold the same ${get(4).getDecided().length}-entry log: ${same} (old leader sent ${router.bytesSent(1)} B to 4, server 2 sent ${router.bytesSent(2)} B)`);
for (const r of replicas.values()) await r.stop();
await router.close();
