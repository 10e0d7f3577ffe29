/**
 * actors-throughput: decided entries per second through the actor layer (createReplica on the
 * in-process Router) against the core driven directly by a plain loop. Both sides: the same 3-node
 * cluster, MemoryStorage, batch size, window of outstanding proposals and message copy policy, and an
 * application that consumes every decided entry on every replica. Both are warmed up, garbage is
 * collected between runs, runs alternate, and the medians are compared. Ticks never stall either
 * pipeline: the core loop ticks when no message moves; the actors run on a simulated xstate clock,
 * advanced one tick whenever the event loop is idle (a setImmediate pump).
 * The actors' client proposes each window either with one `append` promise per entry or with one
 * `appendMany`; both are reported.
 * The last line is one JSON object: {"actorsToCoreRatio": R, "appendRatio": A} — structuredClone copies
 * on both sides; R with `appendMany` (the throughput API), A with one `append` per entry.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';
import { type ReplicaClock, type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';

type Copy = 'structuredClone' | 'none';
/** How the bench's client proposes a window: one `append` promise per entry, or one `appendMany`. */
type Api = 'append' | 'appendMany';
const NODES = [1, 2, 3];
const BATCH_SIZE = 50;
const WINDOW = 1000;
const TICK_MS = 10;
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** SimClock is a simulated xstate clock (like xstate's SimulatedClock): time moves only on `increment`. */
class SimClock implements ReplicaClock {
  private now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  increment(ms: number): void {
    this.now += ms;
    const due = [...this.timers].filter(([, t]) => t.at <= this.now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
  }
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function coreRun(total: number, copy: Copy): number {
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
        replicas.get(m.to)?.handleIncoming(copy === 'none' ? m : structuredClone(m));
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
  let sum = 0;
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
      for (const e of entries) if (e.kind === 'Decided') sum ^= e.entry;
      consumed.set(pid, from + entries.length);
    }
  }
  const secs = (performance.now() - start) / 1000;
  if (sum < 0) throw new Error('unreachable');
  return total / secs;
}

async function actorsRun(total: number, copy: Copy, api: Api): Promise<number> {
  const clock = new SimClock();
  const router = new Router<ReplicatedEntry<number>>({ copy });
  let pumping = true;
  const pump = (): void => {
    if (!pumping) return;
    clock.increment(TICK_MS); // one tick, only once every queued microtask has run
    setImmediate(pump);
  };
  setImmediate(pump);
  let sum = 0;
  const replicas = NODES.map((pid) => {
    const r = createReplica<number>({
      pid,
      nodes: NODES,
      storage: new MemoryStorage<ReplicatedEntry<number>>(),
      transport: router,
      clock,
      tickMs: TICK_MS,
      server: { batchSize: BATCH_SIZE },
      retainDecided: 0,
    });
    // An application consumes every decided entry on every replica, as the core loop reads them.
    r.onDecided(0, (item) => {
      sum ^= item.entry;
    });
    return r;
  });
  await new Promise<void>((resolve) => {
    const check = () => {
      const l = replicas[0]?.getLeader();
      if (l !== undefined && replicas.every((r) => r.getLeader() === l)) resolve();
      else setImmediate(check);
    };
    check();
  });
  const leader = replicas.find((r) => r.pid === replicas[0]?.getLeader()) ?? replicas[0];
  if (!leader) throw new Error('no leader');
  await leader.append(0); // let the leader reach the Accept phase
  const start = performance.now();
  let proposed = 0;
  while (proposed < total) {
    if (api === 'appendMany') {
      const entries: number[] = new Array(WINDOW);
      for (let i = 0; i < WINDOW; i++) entries[i] = proposed++;
      await leader.appendMany(entries);
    } else {
      const batch: Promise<{ idx: number }>[] = [];
      for (let i = 0; i < WINDOW; i++) batch.push(leader.append(proposed++));
      await Promise.all(batch);
    }
  }
  const secs = (performance.now() - start) / 1000;
  pumping = false;
  for (const r of replicas) await r.stop();
  await router.close();
  if (sum < 0) throw new Error('unreachable');
  return total / secs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const COPIES = (process.env.BENCH_COPY?.split(',') ?? ['structuredClone', 'none']) as Copy[];
const APIS: Api[] = ['append', 'appendMany'];
interface Result {
  core: number;
  actors: Record<Api, number>;
}
const results = new Map<Copy, Result>();
for (const copy of COPIES) {
  coreRun(ENTRIES, copy); // warm-up
  for (const api of APIS) await actorsRun(ENTRIES, copy, api);
  const core: number[] = [];
  const actors: Record<Api, number[]> = { append: [], appendMany: [] };
  for (let i = 0; i < RUNS; i++) {
    gc();
    core.push(coreRun(ENTRIES, copy));
    for (const api of APIS) {
      gc();
      actors[api].push(await actorsRun(ENTRIES, copy, api));
    }
  }
  results.set(copy, { core: median(core), actors: { append: median(actors.append), appendMany: median(actors.appendMany) } });
}
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
const ratio = (r: Result, api: Api) => r.actors[api] / r.core;
console.log(`3 nodes, MemoryStorage, batchSize ${BATCH_SIZE}, window ${WINDOW}, ${ENTRIES} entries, median of ${RUNS} alternating runs, Node ${process.version}`);
console.log('| message copies (both sides) | actors client API | core, plain loop | actors (createReplica, Router) | actors/core |');
console.log('|---|---|---:|---:|---:|');
for (const [copy, r] of results) {
  for (const api of APIS) {
    const how = api === 'append' ? 'append (a promise per entry)' : `appendMany (${WINDOW} per promise)`;
    console.log(`| ${copy.padEnd(27)} | ${how.padEnd(28)} | ${fmt(r.core)} | ${fmt(r.actors[api])} | ${ratio(r, api).toFixed(3).padStart(6)} |`);
  }
}
// The JSON line: structuredClone copies on both sides; the client uses appendMany, the throughput API
// (`appendRatio` is the same run with one append promise per entry).
const main = results.get('structuredClone') ?? (results.values().next().value as Result);
console.log(JSON.stringify({ actorsToCoreRatio: Number(ratio(main, 'appendMany').toFixed(3)), appendRatio: Number(ratio(main, 'append').toFixed(3)) }));
process.exit(0);
