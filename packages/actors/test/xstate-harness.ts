import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { SimulatedClock } from 'xstate';
import { type DecidedItem, type ReplicaDeps, type ReplicaStorage, type ReplicatedEntry, type Transport, Router } from '../src/index.js';
import { TICK_MS, settle, untilTicks } from './cluster-harness.js';

export { TICK_MS, settle };

/** CountingTransport wraps a transport and counts the nodes registered with it. */
export class CountingTransport<T> implements Transport<T> {
  readonly registered = new Map<NodeId, number>();
  constructor(private readonly inner: Transport<T>) {}
  register(pid: NodeId, endpoint: Parameters<Transport<T>['register']>[1]): () => void {
    this.registered.set(pid, (this.registered.get(pid) ?? 0) + 1);
    const detach = this.inner.register(pid, endpoint);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.registered.get(pid) ?? 1) - 1;
      if (n === 0) this.registered.delete(pid);
      else this.registered.set(pid, n);
      detach();
    };
  }
  send(message: Parameters<Transport<T>['send']>[0]): void {
    this.inner.send(message);
  }
}

/** World is what outlives one service instance: the clock, the network and the disks. */
export interface World<T> {
  clock: SimulatedClock;
  router: Router<ReplicatedEntry<T>>;
  transport: CountingTransport<ReplicatedEntry<T>>;
  disks: Map<string, ReplicaStorage<T>>;
  deps: ReplicaDeps<T>;
  /** advance runs `ticks` ticks, letting every microtask settle after each. */
  advance(ticks: number): Promise<void>;
  /** until advances tick by tick until `cond` holds; throws after `max` ticks. */
  until(cond: () => boolean, max?: number, what?: string): Promise<number>;
}

/** makeWorld builds a simulated clock, a router and one memory "disk" per (pid, configuration). */
export function makeWorld<T>(seed = 1): World<T> {
  const clock = new SimulatedClock();
  const router = new Router<ReplicatedEntry<T>>({ seed, clock, tickMs: TICK_MS });
  const transport = new CountingTransport(router);
  const disks = new Map<string, ReplicaStorage<T>>();
  const storage = (pid: NodeId, configurationId: number): ReplicaStorage<T> => {
    const key = `${pid}/${configurationId}`;
    let s = disks.get(key);
    if (!s) disks.set(key, (s = new MemoryStorage<ReplicatedEntry<T>>()));
    return s;
  };
  const advance = async (ticks: number): Promise<void> => {
    for (let i = 0; i < ticks; i++) {
      clock.increment(TICK_MS);
      await settle();
    }
  };
  return {
    clock,
    router,
    transport,
    disks,
    deps: { transport, storage },
    advance,
    until: (cond, max = 2000, what = 'condition') => untilTicks(advance, cond, max, what),
  };
}

/** FAST are the core timeouts the tests use (elections every 5 ticks). */
export const FAST = { electionTickTimeout: 5, resendMessageTickTimeout: 10 };

/** logOf lists a replica's delivered items as `idx:entry`. */
export const logOf = <T>(items: readonly DecidedItem<T>[]): string[] => items.map((i) => `${i.idx}:${String(i.entry)}`);
