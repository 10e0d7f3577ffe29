import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { SimulatedClock } from 'xstate';
import { type CreateReplicaOptions, type Replica, type ReplicaStorage, type ReplicatedEntry, Router, createReplica } from '../src/index.js';

/** TICK_MS is the simulated milliseconds per tick. */
export const TICK_MS = 10;

/** Cluster is a test cluster of replicas on one router, all driven by one SimulatedClock. */
export interface Cluster<T> {
  clock: SimulatedClock;
  router: Router<ReplicatedEntry<T>>;
  replicas: Map<NodeId, Replica<T>>;
  storages: Map<NodeId, ReplicaStorage<T>>;
  /** advance runs `ticks` ticks, letting every microtask settle after each. */
  advance(ticks: number): Promise<void>;
  /** until advances tick by tick until `cond` holds; throws after `max` ticks. */
  until(cond: () => boolean, max?: number, what?: string): Promise<number>;
  replica(pid: NodeId): Replica<T>;
  leader(): NodeId | undefined;
  stop(): Promise<void>;
}

/** settle lets microtasks and one macrotask turn run: no wall-clock wait. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** untilTicks advances one tick at a time until `cond` holds; returns the ticks it took, or throws after `max`. */
export async function untilTicks(advance: (ticks: number) => Promise<void>, cond: () => boolean, max: number, what: string): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (cond()) return i;
    await advance(1);
  }
  throw new Error(`${what} did not hold within ${max} ticks`);
}

/** startCluster starts one replica per pid. */
export function startCluster<T>(
  nodes: NodeId[],
  extra: (pid: NodeId) => Partial<CreateReplicaOptions<T>> = () => ({}),
  seed = 1,
): Cluster<T> {
  const clock = new SimulatedClock();
  const router = new Router<ReplicatedEntry<T>>({ seed, clock, tickMs: TICK_MS });
  const replicas = new Map<NodeId, Replica<T>>();
  const storages = new Map<NodeId, ReplicaStorage<T>>();
  for (const pid of nodes) {
    const storage = new MemoryStorage<ReplicatedEntry<T>>();
    storages.set(pid, storage);
    replicas.set(
      pid,
      createReplica<T>({
        pid,
        nodes,
        storage,
        transport: router,
        clock,
        tickMs: TICK_MS,
        server: { electionTickTimeout: 5, resendMessageTickTimeout: 10 },
        reproposeTicks: 40,
        ...extra(pid),
      }),
    );
  }
  const advance = async (ticks: number): Promise<void> => {
    for (let i = 0; i < ticks; i++) {
      clock.increment(TICK_MS);
      await settle();
    }
  };
  const cluster: Cluster<T> = {
    clock,
    router,
    replicas,
    storages,
    advance,
    until: (cond, max = 2000, what = 'condition') => untilTicks(advance, cond, max, what),
    replica(pid) {
      const r = replicas.get(pid);
      if (!r) throw new Error(`no replica ${pid}`);
      return r;
    },
    leader() {
      const seen = new Set([...replicas.values()].map((r) => r.getLeader()));
      return seen.size === 1 ? [...seen][0] : undefined;
    },
    async stop() {
      for (const r of replicas.values()) await r.stop();
      await router.close();
    },
  };
  return cluster;
}

/** drive advances the cluster until `promise` settles (or `max` ticks pass) and returns its result. */
export async function drive<R>(c: Cluster<unknown> | Cluster<never> | { until: Cluster<unknown>['until'] }, promise: Promise<R>, max = 2000): Promise<R> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await c.until(() => done, max, 'promise settled');
  return promise;
}
