import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { expect } from 'vitest';
import {
  type CatchUpEvent,
  type CreateReplicaOptions,
  MemoryHistoryStore,
  type ReplicaStorage,
  type ReplicatedEntry,
  createReplica,
} from '../src/index.js';
import { type Cluster, TICK_MS, drive, startCluster } from './cluster-harness.js';

/** FAST_PULL makes segments small so that even short test logs are pulled in many chunks from every source. */
export const FAST_PULL = { chunkSize: 16, window: 2, timeoutTicks: 30, retryTicks: 15, initResendTicks: 5 };

/** ReconfigCluster is a test cluster that records every server's catch-up timeline. */
export interface ReconfigCluster extends Cluster<string> {
  timeline: Map<NodeId, CatchUpEvent[]>;
  /** join starts `pid` as a new server of `config` (it pulls the history first). */
  join(pid: NodeId, config: { configurationId: number; nodes: NodeId[] }): void;
  /** restart starts `pid` again as a member of `config` on the storage its last process left. */
  restart(pid: NodeId, config: { configurationId: number; nodes: NodeId[] }): void;
  /** crash stops `pid` for good (its process is gone; its storage is kept for a restart). */
  crash(pid: NodeId): Promise<void>;
  /** leaderOf returns the leader all of `nodes` agree on, if any. */
  leaderOf(nodes: NodeId[]): NodeId | undefined;
}

/**
 * PACK caps the application entries per log entry in reconfiguration tests: small, so that short test
 * logs still span many raw positions and chunks, yet batches are packed (raw positions ≠ indices).
 */
export const PACK = 3;

/** startReconfigCluster starts `nodes` as configuration 1 with small migration chunks. */
export function startReconfigCluster(
  nodes: NodeId[],
  options: Partial<CreateReplicaOptions<string>> | ((pid: NodeId) => Partial<CreateReplicaOptions<string>>) = {},
  seed = 1,
): ReconfigCluster {
  const extraOf = typeof options === 'function' ? options : () => options;
  const base = startCluster<string>(nodes, (pid) => ({ migration: FAST_PULL, maxPack: PACK, ...extraOf(pid) }), seed);
  const timeline = new Map<NodeId, CatchUpEvent[]>();
  const watch = (pid: NodeId): void => {
    base.replica(pid).actor.on('omnipaxos.catchUp', (e) => timeline.set(pid, [...(timeline.get(pid) ?? []), e.event]));
  };
  nodes.forEach(watch);
  /** launch starts a replica process for `pid` on its kept storage (a new one the first time). */
  const launch = (pid: NodeId, config: { configurationId: number; nodes: NodeId[] }, joining: boolean): void => {
    const storage = base.storages.get(pid) ?? new MemoryStorage<ReplicatedEntry<string>>();
    base.storages.set(pid, storage);
    base.replicas.set(
      pid,
      createReplica<string>({
        pid,
        nodes: [...config.nodes],
        configurationId: config.configurationId,
        ...(joining ? { joining: true } : {}),
        storage,
        transport: base.router,
        clock: base.clock,
        tickMs: TICK_MS,
        server: { electionTickTimeout: 5, resendMessageTickTimeout: 10 },
        reproposeTicks: 40,
        migration: FAST_PULL,
        ...extraOf(pid),
      }),
    );
  };
  return Object.assign(base, {
    timeline,
    join(pid: NodeId, config: { configurationId: number; nodes: NodeId[] }) {
      launch(pid, config, true);
      watch(pid);
    },
    restart(pid: NodeId, config: { configurationId: number; nodes: NodeId[] }) {
      launch(pid, config, false);
    },
    async crash(pid: NodeId) {
      await base.replica(pid).stop();
    },
    leaderOf(group: NodeId[]) {
      const seen = new Set(group.map((p) => base.replica(p).getLeader()));
      const l = [...seen][0];
      return seen.size === 1 && l !== undefined && group.includes(l) ? l : undefined;
    },
  });
}

/** appendAll proposes `entries` round-robin at `via` and waits until all resolve. */
export async function appendAll(c: ReconfigCluster, via: NodeId[], entries: string[], max = 3000): Promise<void> {
  await drive(c, Promise.all(entries.map((e, i) => c.replica(via[i % via.length] as NodeId).append(e))), max);
}

/**
 * expectSameFullLog checks that every server of `nodes` delivered exactly `expected` (in any order,
 * each once) with dense indices 0..n-1, and that all of them hold the same log.
 */
export async function expectSameFullLog(c: ReconfigCluster, nodes: NodeId[], expected: string[]): Promise<void> {
  await c.until(() => nodes.every((p) => c.replica(p).getDecided().length >= expected.length), 3000, 'every server delivered the whole log');
  await c.advance(20);
  const logs = nodes.map((p) => c.replica(p).getDecided().map((d) => `${d.idx}:${d.entry}`));
  for (const log of logs) expect(log).toEqual(logs[0]);
  const first = c.replica(nodes[0] as NodeId).getDecided();
  expect(first.map((d) => d.idx)).toEqual(first.map((_, i) => i));
  expect([...first.map((d) => d.entry)].sort()).toEqual([...expected].sort());
}

/** pulledFrom returns the sources that served chunks to `pid`. */
export function pulledFrom(c: ReconfigCluster, pid: NodeId): NodeId[] {
  const s = new Set<NodeId>();
  for (const e of c.timeline.get(pid) ?? []) if (e.kind === 'chunk') s.add(e.source);
  return [...s].sort();
}

/** range builds entry names `prefix0 … prefix{n-1}`. */
export const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Disk is what a test server keeps across its restarts: its history record and one storage per configuration. */
export interface Disk {
  history: MemoryHistoryStore;
  byConfig: Map<number, ReplicaStorage<string>>;
}

/** durable gives every server a history record and one storage per configuration that outlive its process. */
export function durable(disks: Map<NodeId, Disk>, extra: Partial<CreateReplicaOptions<string>> = {}) {
  return (pid: NodeId): Partial<CreateReplicaOptions<string>> => {
    let d = disks.get(pid);
    if (!d) disks.set(pid, (d = { history: new MemoryHistoryStore(), byConfig: new Map() }));
    const disk = d;
    const storageFor = (id: number): ReplicaStorage<string> => {
      let s = disk.byConfig.get(id);
      if (!s) disk.byConfig.set(id, (s = new MemoryStorage<ReplicatedEntry<string>>()));
      return s;
    };
    return { historyStore: disk.history, storageFor, ...extra };
  };
}
