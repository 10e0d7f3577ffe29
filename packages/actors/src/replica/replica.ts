import type { ClusterConfig, NodeId } from '@omnipaxos/core';
import { nanoid } from 'nanoid';
import { type Actor, type ActorOptions, createActor } from 'xstate';
import { DecidedRetention } from './decided-retention.js';
import { ReplicaError, SupervisionError } from '../errors.js';
import type { ClientRequest } from '../events.js';
import type { SupervisorInput } from '../supervisor/supervisor-input.js';
import { supervisorLogic } from '../supervisor/supervisor-machine.js';
import type { CrashCommand } from './replica-events.js';
import type { ReplicaLogic } from './replica-logic.js';
import type { DecidedItem } from './replicated-entry.js';

/** ReplicaClock is xstate's clock type: `new SimulatedClock()` in tests, the real timers by default. */
export type ReplicaClock = NonNullable<ActorOptions<ReplicaLogic<unknown>>['clock']>;

/** CreateReplicaOptions are the supervisor's input plus the xstate clock (SimulatedClock in tests). */
export interface CreateReplicaOptions<T> extends SupervisorInput<T> {
  clock?: ReplicaClock;
  /** Receives errors thrown by your listeners (they never reach the replica). Default: ignored. */
  onListenerError?: (error: unknown) => void;
  /**
   * How many of the latest decided entries the client object keeps for `getDecided` and for replaying
   * to a new `onDecided` listener (default: all). Bound it when the application consumes entries as
   * they are delivered, so the replica does not hold a second copy of the whole log.
   */
  retainDecided?: number;
  /**
   * The most bytes of decided entries the client object keeps (approximate size, see estimateSize;
   * default 64 MiB), beside the `retainDecided` count: large entries are not kept by the thousand.
   */
  retainDecidedBytes?: number;
}

/** DEFAULT_RETAIN_DECIDED_BYTES is the default byte bound on the decided entries a Replica keeps (64 MiB). */
export const DEFAULT_RETAIN_DECIDED_BYTES = 64 * 1024 * 1024;

/** Replica is the client API of one node: append, observe decided entries and leaders, stop. */
export interface Replica<T> {
  readonly pid: NodeId;
  /** The replica actor (a root actor running `replicaLogic`'s logic), for `actor.on(...)` and inspection. */
  readonly actor: Actor<ReplicaLogic<T, SupervisorInput<T>>>;
  /** append proposes `entry`; resolves exactly once with its index when decided, or rejects with ReplicaError. */
  append(entry: T): Promise<{ idx: number }>;
  /**
   * appendMany proposes `entries` in order, like one `append` each, with one promise for all: it
   * resolves once every entry is decided, with their indices in the order of `entries`, or rejects
   * with the first ReplicaError (entries already decided stay decided, as with `Promise.all` over
   * `append`). Cheaper per entry than `append` for a throughput-minded client.
   */
  appendMany(entries: readonly T[]): Promise<{ idx: number }[]>;
  /** reconfigure proposes a stop sign naming the next configuration. */
  reconfigure(next: ClusterConfig, metadata?: Uint8Array): void;
  /**
   * compact snapshots the finished configurations' history (through `upToConfigurationId`, default
   * all) with the `compaction.logic` option (no-op without it); see docs/reconfiguration.md.
   */
  compact(upToConfigurationId?: number): void;
  /** onDecided calls `listener` for every decided entry from `fromIdx` on (replaying those already decided). */
  onDecided(fromIdx: number, listener: (item: DecidedItem<T>) => void): () => void;
  /** onLeaderChange calls `listener` whenever the leader this server follows changes. */
  onLeaderChange(listener: (leader: NodeId | undefined) => void): () => void;
  /** onEscalated calls `listener` when the supervisor spent its restart budget and gave up. */
  onEscalated(listener: (error: Error) => void): () => void;
  /** getLeader returns the leader this server follows, if any. */
  getLeader(): NodeId | undefined;
  /** getDecided returns the entries decided so far (the application's log; its last `retainDecided` entries). */
  getDecided(): readonly DecidedItem<T>[];
  /** crash fails one child actor with `error` (fault injection; the supervisor restarts it). */
  crash(child: 'paxos' | 'election', error: unknown): void;
  /** stop shuts the replica down; undecided appends reject with ReplicaError('Shutdown'). */
  stop(): Promise<void>;
}

/**
 * crashReplica is fault injection: it makes the replica's Paxos or election component fail with
 * `error`, as a storage failure would; the replica restarts it within its restart budget.
 */
export function crashReplica(ref: { send(event: never): void }, child: 'paxos' | 'election', error: unknown): void {
  const command: CrashCommand = { type: 'omnipaxos.crash', child, error };
  ref.send(command as never);
}

/**
 * Waiter is the promise of one `append` (`single`) or one `appendMany`: it collects the indices of its
 * entries and settles once. Every entry's rid maps to a Slot naming its waiter and position.
 */
class Waiter {
  private left: number;
  private readonly results: { idx: number }[];

  constructor(
    n: number,
    private readonly single: boolean,
    /** Resolves with `{ idx }` (single) or `{ idx }[]`; typed by the promise that made the waiter. */
    private readonly resolve: (v: never) => void,
    private readonly reject: (e: ReplicaError) => void,
  ) {
    this.left = n;
    this.results = new Array<{ idx: number }>(n);
  }

  settle(i: number, idx: number): void {
    if (this.left <= 0) return;
    this.results[i] = { idx };
    if (--this.left === 0) this.resolve((this.single ? this.results[0] : this.results) as never);
  }

  fail(e: ReplicaError): void {
    if (this.left <= 0) return;
    this.left = 0;
    this.reject(e);
  }
}

interface Slot {
  waiter: Waiter;
  i: number;
}

/**
 * createReplica starts one node's replica supervisor as a root actor and wraps it in a promise API.
 * Appends made in the same microtask go to the supervisor as one `omnipaxos.append` batch.
 */
export function createReplica<T>(options: CreateReplicaOptions<T>): Replica<T> {
  const { clock, onListenerError, retainDecided = Infinity, retainDecidedBytes = DEFAULT_RETAIN_DECIDED_BYTES, ...input } = options;
  const actor = createActor(supervisorLogic<T>(), {
    input,
    ...(clock ? { clock } : {}),
  });
  /**
   * Request ids: a short per-replica nanoid prefix, then a decimal counter. Rids only need to be unique
   * within this replica (they are not replicated); short ones stay flat strings, so hashing them for
   * the waiter map costs no flattening.
   */
  const ridPrefix = nanoid(4);
  let ridCounter = 0;
  const waiters = new Map<string, Slot>();
  const decided = new DecidedRetention<DecidedItem<T>>(retainDecided, retainDecidedBytes);
  const decidedListeners = new Set<{ fromIdx: number; fn: (item: DecidedItem<T>) => void }>();
  const leaderListeners = new Set<(leader: NodeId | undefined) => void>();
  const escalationListeners = new Set<(error: Error) => void>();
  let leader: NodeId | undefined;
  let batch: ClientRequest<T>[] = [];
  let closed: ReplicaError['code'] | undefined;

  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      onListenerError?.(err);
    }
  };
  const rejectAll = (code: ReplicaError['code']): void => {
    for (const [rid, w] of waiters) w.waiter.fail(new ReplicaError(code, rid));
    waiters.clear();
  };
  const enqueue = (entries: readonly T[], single: boolean, resolve: (v: never) => void, reject: (e: ReplicaError) => void): void => {
    const waiter = new Waiter(entries.length, single, resolve, reject);
    if (batch.length === 0) queueMicrotask(flushBatch);
    for (let i = 0; i < entries.length; i++) {
      const rid = ridPrefix + ridCounter++;
      waiters.set(rid, { waiter, i });
      batch.push({ rid, entry: entries[i] as T });
    }
  };
  const flushBatch = (): void => {
    const requests = batch;
    batch = [];
    if (requests.length > 0) actor.send({ type: 'omnipaxos.append', requests });
  };

  actor.on('omnipaxos.delivered', (e) => {
    const items = e.items;
    for (const item of items) {
      decided.push(item);
      const rid = item.rid;
      if (rid === undefined) continue;
      const w = waiters.get(rid);
      if (w) {
        waiters.delete(rid);
        w.waiter.settle(w.i, item.idx);
      }
    }
    // Listeners after the waiters, one pass per listener over the batch; no closure per item.
    for (const l of decidedListeners) {
      for (const item of items) {
        if (item.idx < l.fromIdx) continue;
        try {
          l.fn(item);
        } catch (err) {
          onListenerError?.(err);
        }
      }
    }
  });
  actor.on('omnipaxos.failed', (e) => {
    for (const rid of e.rids) {
      const w = waiters.get(rid);
      waiters.delete(rid);
      w?.waiter.fail(new ReplicaError(e.code, rid));
    }
  });
  actor.on('omnipaxos.leaderChanged', (e) => {
    leader = e.leader;
    for (const l of leaderListeners) safely(() => l(e.leader));
  });
  actor.on('omnipaxos.escalated', (e) => {
    closed = 'Escalated';
    rejectAll('Escalated');
    for (const l of escalationListeners) safely(() => l(e.error));
  });
  actor.subscribe({
    complete: () => {
      closed ??= actor.getSnapshot().output?.reason === 'retired' ? 'StopSign' : 'Shutdown';
      rejectAll(closed);
    },
    error: (err) => {
      closed ??= err instanceof SupervisionError ? 'Escalated' : 'Shutdown';
      rejectAll(closed);
    },
  });
  actor.start();

  return {
    pid: input.pid,
    actor,
    append(entry: T): Promise<{ idx: number }> {
      if (closed) return Promise.reject(new ReplicaError(closed, ridPrefix + ridCounter++));
      return new Promise((resolve, reject) => enqueue([entry], true, resolve, reject));
    },
    appendMany(entries: readonly T[]): Promise<{ idx: number }[]> {
      if (closed) return Promise.reject(new ReplicaError(closed, ridPrefix + ridCounter++));
      if (entries.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => enqueue(entries, false, resolve, reject));
    },
    reconfigure(next, metadata) {
      actor.send(metadata ? { type: 'omnipaxos.reconfigure', nextConfig: next, metadata } : { type: 'omnipaxos.reconfigure', nextConfig: next });
    },
    onDecided(fromIdx, fn) {
      for (const item of decided.list()) if (item.idx >= fromIdx) safely(() => fn(item));
      const l = { fromIdx, fn };
      decidedListeners.add(l);
      return () => decidedListeners.delete(l);
    },
    onLeaderChange(fn) {
      leaderListeners.add(fn);
      return () => leaderListeners.delete(fn);
    },
    onEscalated(fn) {
      escalationListeners.add(fn);
      return () => escalationListeners.delete(fn);
    },
    getLeader: () => leader,
    getDecided: () => decided.list(),
    compact(upTo) {
      actor.send(upTo === undefined ? { type: 'omnipaxos.compact' } : { type: 'omnipaxos.compact', upToConfigurationId: upTo });
    },
    crash(child, error) {
      crashReplica(actor, child, error);
    },
    async stop() {
      flushBatch();
      closed ??= 'Shutdown';
      if (actor.getSnapshot().status === 'active') actor.stop();
      rejectAll(closed);
    },
  };
}
