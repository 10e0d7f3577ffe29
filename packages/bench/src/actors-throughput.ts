/**
 * actors-throughput: decided entries per second through the actor layer (createReplica on the
 * in-process Router) against the core driven directly by a plain loop. Same 3-node cluster,
 * MemoryStorage, batch size and window of outstanding proposals, measured in the same run.
 * The last line is one JSON object: {"actorsToCoreRatio": R}.
 */
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';
import { type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';

const NODES = [1, 2, 3];
const BATCH_SIZE = 50;
const WINDOW = 1000;
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const RUNS = 3;

async function coreRun(total: number): Promise<number> {
  const replicas = new Map(
    NODES.map((pid) => [
      pid,
      new OmniPaxos<number>(
        { clusterConfig: { configurationId: 1, nodes: NODES }, serverConfig: { pid, batchSize: BATCH_SIZE } },
        new MemoryStorage<number>(),
      ),
    ]),
  );
  const exchange = (): boolean => {
    let moved = false;
    for (const r of replicas.values()) {
      const out: Message<number>[] = r.takeOutgoingMessages();
      for (const m of out) {
        moved = true;
        replicas.get(m.to)?.handleIncoming(structuredClone(m));
      }
    }
    return moved;
  };
  let leader: OmniPaxos<number> | undefined;
  while (!leader) {
    for (const r of replicas.values()) r.tick();
    while (exchange());
    leader = [...replicas.values()].find((r) => r.getCurrentLeader()?.pid === r.pid && r.getCurrentLeader()?.accepted);
  }
  const consumed = new Map<number, number>();
  const start = performance.now();
  let proposed = 0;
  while (proposed < total) {
    for (let i = 0; i < WINDOW; i++) leader.append(proposed++);
    const target = proposed;
    while (leader.getDecidedIdx() < target) {
      if (!exchange()) for (const r of replicas.values()) r.tick(); // flush a partial batch
    }
    // An application consumes what is decided: read it on every replica, as the actors deliver it.
    for (const [pid, r] of replicas) {
      const from = consumed.get(pid) ?? 0;
      const entries = r.readDecidedSuffix(from) ?? [];
      consumed.set(pid, from + entries.length);
    }
  }
  const secs = (performance.now() - start) / 1000;
  return total / secs;
}

async function actorsRun(total: number): Promise<number> {
  const router = new Router<ReplicatedEntry<number>>();
  const replicas = NODES.map((pid) =>
    createReplica<number>({
      pid,
      nodes: NODES,
      storage: new MemoryStorage<ReplicatedEntry<number>>(),
      transport: router,
      tickMs: 2,
      server: { batchSize: BATCH_SIZE },
    }),
  );
  await new Promise<void>((resolve) => {
    const check = () => {
      const l = replicas[0]?.getLeader();
      if (l !== undefined && replicas.every((r) => r.getLeader() === l)) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
  const leader = replicas.find((r) => r.pid === replicas[0]?.getLeader()) ?? replicas[0];
  if (!leader) throw new Error('no leader');
  // Let the leader reach the Accept phase.
  await leader.append(-1);
  const start = performance.now();
  let proposed = 0;
  while (proposed < total) {
    const batch: Promise<{ idx: number }>[] = [];
    for (let i = 0; i < WINDOW; i++) batch.push(leader.append(proposed++));
    await Promise.all(batch);
  }
  const secs = (performance.now() - start) / 1000;
  for (const r of replicas) await r.stop();
  await router.close();
  return total / secs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const core: number[] = [];
const actors: number[] = [];
await coreRun(10_000);
await actorsRun(10_000);
for (let i = 0; i < RUNS; i++) {
  core.push(await coreRun(ENTRIES));
  actors.push(await actorsRun(ENTRIES));
}
const c = median(core);
const a = median(actors);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12);
console.log(`3 nodes, MemoryStorage, batchSize ${BATCH_SIZE}, window ${WINDOW}, ${ENTRIES} entries, median of ${RUNS} runs`);
console.log('| driver                         |   entries/s |');
console.log('|--------------------------------|-------------|');
console.log(`| core, plain loop               |${fmt(c)} |`);
console.log(`| actors (createReplica, Router) |${fmt(a)} |`);
console.log(JSON.stringify({ actorsToCoreRatio: Number((a / c).toFixed(3)) }));
process.exit(0);
