/**
 * actors-throughput: decided entries per second through the actor layer (createReplica on the
 * in-process Router) against the core driven directly by a plain loop. Both sides: the same 3-node
 * cluster, MemoryStorage, batch size, window of outstanding proposals and message copy policy, and an
 * application that consumes every decided entry on every replica. Both are warmed up, garbage is
 * collected between runs, runs alternate, and the medians are compared. Ticks never stall either
 * pipeline: the core loop ticks when no message moves; the actors run on a simulated xstate clock,
 * advanced one tick whenever the event loop is idle (a setImmediate pump).
 * The actors pack the appends that reach a supervisor together (an appendMany, or one microtask's
 * appends, up to maxPack) into one log entry with one tag; the core loop appends one log entry per
 * entry. A breakdown row runs the same core loop with every entry tagged (the actors' former
 * per-entry log format), to show what a per-entry tag costs. The actors' client proposes each window either with one `append` promise per entry or with one
 * `appendMany`; both are reported.
 * The last line is one JSON object: {"actorsToCoreRatio": R, "appendRatio": A} — structuredClone copies
 * on both sides; R with `appendMany` (the throughput API), A with one `append` per entry.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';
import { type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';
import { SimClock } from './sim-clock.js';

type Copy = 'structuredClone' | 'none';
/** How the bench's client proposes a window: one `append` promise per entry, or one `appendMany`. */
type Api = 'append' | 'appendMany';
const NODES = [1, 2, 3];
const BATCH_SIZE = 50;
const WINDOW = 1000;
const TICK_MS = 10;
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);


setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Tagged is an entry shaped like the actors' log entry (ReplicatedEntry): [entry, origin, session, seq]. */
type Tagged = readonly [entry: number, origin: number, session: number, seq: number];
type CoreEntry = number | Tagged;

/**
 * coreRun drives the core directly. With `tagged`, every entry is a tuple shaped like the actors' log
 * entry instead of a bare number: a breakdown row that measures what the tag alone costs the core
 * (copies, storage, garbage), with no actor machinery.
 */
function coreRun(total: number, copy: Copy, tagged = false): Rate {
  const replicas = new Map(
    NODES.map((pid) => [
      pid,
      new OmniPaxos<CoreEntry>(
        { clusterConfig: { configurationId: 1, nodes: NODES }, serverConfig: { pid, batchSize: BATCH_SIZE } },
        new MemoryStorage<CoreEntry>(),
      ),
    ]),
  );
  const exchange = (): boolean => {
    let moved = false;
    for (const r of replicas.values()) {
      const out: Message<CoreEntry>[] = r.takeOutgoingMessages();
      for (const m of out) {
        moved = true;
        replicas.get(m.to)?.handleIncoming(copy === 'none' ? m : structuredClone(m));
      }
    }
    return moved;
  };
  let leader: OmniPaxos<CoreEntry> | undefined;
  while (!leader) {
    for (const r of replicas.values()) r.tick();
    while (exchange());
    leader = [...replicas.values()].find((r) => r.getCurrentLeader()?.pid === r.pid && r.getCurrentLeader()?.accepted);
  }
  const consumed = new Map<number, number>();
  let sum = 0;
  const timer = new Timer();
  let proposed = 0;
  while (proposed < total) {
    if (tagged) for (let i = 0; i < WINDOW; i++, proposed++) leader.append([proposed, 1, 123_456_789, proposed]);
    else for (let i = 0; i < WINDOW; i++) leader.append(proposed++);
    const target = proposed;
    while (leader.getDecidedIdx() < target) {
      if (!exchange()) for (const r of replicas.values()) r.tick(); // flush a partial batch
    }
    // An application consumes what is decided: read it on every replica, as the actors deliver it.
    for (const [pid, r] of replicas) {
      const from = consumed.get(pid) ?? 0;
      const entries = r.readDecidedSuffix(from) ?? [];
      for (const e of entries) if (e.kind === 'Decided') sum ^= typeof e.entry === 'number' ? e.entry : e.entry[0];
      consumed.set(pid, from + entries.length);
    }
  }
  const rate = timer.rate(total);
  if (sum < 0) throw new Error('unreachable');
  return rate;
}

async function actorsRun(total: number, copy: Copy, api: Api): Promise<Rate> {
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
  const timer = new Timer();
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
  const rate = timer.rate(total);
  pumping = false;
  for (const r of replicas) await r.stop();
  await router.close();
  if (sum < 0) throw new Error('unreachable');
  return rate;
}

/** Rate is one run's throughput: entries per wall-clock second and per second of the process's CPU time. */
interface Rate {
  wall: number;
  cpu: number;
}

/** Timer measures wall-clock and CPU time (all threads of the process: JS, GC helpers) of one run. */
class Timer {
  private readonly wall0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  rate(entries: number): Rate {
    const wall = (performance.now() - this.wall0) / 1000;
    const c = process.cpuUsage(this.cpu0);
    return { wall: entries / wall, cpu: entries / ((c.user + c.system) / 1e6) };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const COPIES = (process.env.BENCH_COPY?.split(',') ?? ['structuredClone', 'none']) as Copy[];
const APIS: Api[] = ['append', 'appendMany'];
interface Result {
  core: Rate;
  /** The core with entries tagged like the actors' log (breakdown only). */
  coreTagged: Rate;
  actors: Record<Api, Rate>;
}
const medianRate = (xs: Rate[]): Rate => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
const results = new Map<Copy, Result>();
for (const copy of COPIES) {
  coreRun(ENTRIES, copy); // warm-up
  coreRun(ENTRIES, copy, true);
  for (const api of APIS) await actorsRun(ENTRIES, copy, api);
  const core: Rate[] = [];
  const coreTagged: Rate[] = [];
  const actors: Record<Api, Rate[]> = { append: [], appendMany: [] };
  for (let i = 0; i < RUNS; i++) {
    gc();
    core.push(coreRun(ENTRIES, copy));
    gc();
    coreTagged.push(coreRun(ENTRIES, copy, true));
    for (const api of APIS) {
      gc();
      actors[api].push(await actorsRun(ENTRIES, copy, api));
    }
  }
  results.set(copy, {
    core: medianRate(core),
    coreTagged: medianRate(coreTagged),
    actors: { append: medianRate(actors.append), appendMany: medianRate(actors.appendMany) },
  });
}
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
const ratio = (r: Result, api: Api, by: keyof Rate = 'wall') => r.actors[api][by] / r.core[by];
console.log(`3 nodes, MemoryStorage, batchSize ${BATCH_SIZE}, window ${WINDOW}, ${ENTRIES} entries, median of ${RUNS} alternating runs, Node ${process.version}`);
console.log('entries/s of wall-clock time; in brackets, per second of the process CPU time (steadier on a shared machine)');
console.log('| message copies (both sides) | actors client API | core, plain loop (one log entry per entry) | actors (createReplica, Router; appends packed per batch, one log entry each) | actors/core | (CPU time) |');
console.log('|---|---|---:|---:|---:|---:|');
for (const [copy, r] of results) {
  for (const api of APIS) {
    const how = api === 'append' ? 'append (a promise per entry)' : `appendMany (${WINDOW} per promise)`;
    console.log(
      `| ${copy.padEnd(27)} | ${how.padEnd(28)} | ${fmt(r.core.wall)} (${fmt(r.core.cpu).trim()}) | ${fmt(r.actors[api].wall)} (${fmt(r.actors[api].cpu).trim()}) | ${ratio(r, api).toFixed(3).padStart(6)} | ${ratio(r, api, 'cpu').toFixed(3)} |`,
    );
  }
}
console.log('');
console.log("Breakdown: the same core loop with every entry tagged like the actors' former per-entry log ([entry, origin, session, seq] instead of a number; the actors now tag one packed batch instead):");
for (const [copy, r] of results) {
  console.log(
    `- ${copy}: ${fmt(r.coreTagged.wall).trim()} entries/s, ${(r.coreTagged.wall / r.core.wall).toFixed(3)} of the plain core (CPU time: ${(r.coreTagged.cpu / r.core.cpu).toFixed(3)})`,
  );
}
// The JSON line: structuredClone copies on both sides; the client uses appendMany, the throughput API.
// `appendRatio` is the same run with one append promise per entry; `cpuRatio` is appendMany's ratio of
// entries per CPU second (what both sides cost, less sensitive to other load on the machine).
const main = results.get('structuredClone') ?? (results.values().next().value as Result);
const r3 = (x: number) => Number(x.toFixed(3));
console.log(
  JSON.stringify({ actorsToCoreRatio: r3(ratio(main, 'appendMany')), appendRatio: r3(ratio(main, 'append')), cpuRatio: r3(ratio(main, 'appendMany', 'cpu')) }),
);
process.exit(0);
