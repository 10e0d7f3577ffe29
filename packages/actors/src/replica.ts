import type { ClusterConfig, NodeId } from '@omnipaxos/core';
import { nanoid } from 'nanoid';
import { type Actor, type ActorOptions, createActor } from 'xstate';
import { ReplicaError } from './errors.js';
import type { ClientRequest } from './events.js';
import type { DecidedItem } from './replicated-entry.js';
import { replicaSupervisor } from './supervisor-machine.js';
import type { SupervisorInput } from './supervisor-runtime.js';

/** ReplicaClock is xstate's clock type: `new SimulatedClock()` in tests, the real timers by default. */
export type ReplicaClock = NonNullable<ActorOptions<typeof replicaSupervisor>['clock']>;

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
}

/** Replica is the client API of one node: append, observe decided entries and leaders, stop. */
export interface Replica<T> {
  readonly pid: NodeId;
  /** The supervisor actor, for `actor.on(...)` and inspection. */
  readonly actor: Actor<typeof replicaSupervisor>;
  /** append proposes `entry`; resolves exactly once with its index when decided, or rejects with ReplicaError. */
  append(entry: T): Promise<{ idx: number }>;
  /** reconfigure proposes a stop sign naming the next configuration. */
  reconfigure(next: ClusterConfig, metadata?: Uint8Array): void;
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

interface Waiter {
  resolve: (v: { idx: number }) => void;
  reject: (e: ReplicaError) => void;
}

/**
 * createReplica starts one node's replica supervisor as a root actor and wraps it in a promise API.
 * Appends made in the same microtask go to the supervisor as one `omnipaxos.append` batch.
 */
export function createReplica<T>(options: CreateReplicaOptions<T>): Replica<T> {
  const { clock, onListenerError, retainDecided = Infinity, ...input } = options;
  const actor = createActor(replicaSupervisor, {
    input: input as SupervisorInput<unknown>,
    ...(clock ? { clock } : {}),
  });
  const waiters = new Map<string, Waiter>();
  let decided: DecidedItem<T>[] = [];
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
    for (const [rid, w] of waiters) w.reject(new ReplicaError(code, rid));
    waiters.clear();
  };
  const flushBatch = (): void => {
    const requests = batch;
    batch = [];
    if (requests.length > 0) actor.send({ type: 'omnipaxos.append', requests });
  };

  actor.on('omnipaxos.delivered', (e) => {
    for (const raw of e.items) {
      const item = raw as DecidedItem<T>;
      if (retainDecided > 0) decided.push(item);
      const w = item.origin === input.pid ? waiters.get(item.rid) : undefined;
      if (w) {
        waiters.delete(item.rid);
        w.resolve({ idx: item.idx });
      }
      if (decidedListeners.size > 0) for (const l of decidedListeners) if (item.idx >= l.fromIdx) safely(() => l.fn(item));
    }
    if (decided.length > retainDecided * 2 + 1024) decided = decided.slice(-retainDecided);
  });
  actor.on('omnipaxos.failed', (e) => {
    for (const rid of e.rids) {
      const w = waiters.get(rid);
      waiters.delete(rid);
      w?.reject(new ReplicaError(e.code, rid));
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
      const state = actor.getSnapshot().value;
      closed ??= state === 'retired' ? 'StopSign' : state === 'escalated' ? 'Escalated' : 'Shutdown';
      rejectAll(closed);
    },
    error: () => {
      closed ??= 'Shutdown';
      rejectAll(closed);
    },
  });
  actor.start();

  return {
    pid: input.pid,
    actor,
    append(entry: T): Promise<{ idx: number }> {
      const rid = nanoid();
      if (closed) return Promise.reject(new ReplicaError(closed, rid));
      return new Promise((resolve, reject) => {
        waiters.set(rid, { resolve, reject });
        if (batch.length === 0) queueMicrotask(flushBatch);
        batch.push({ rid, entry });
      });
    },
    reconfigure(next, metadata) {
      actor.send(metadata ? { type: 'omnipaxos.reconfigure', nextConfig: next, metadata } : { type: 'omnipaxos.reconfigure', nextConfig: next });
    },
    onDecided(fromIdx, fn) {
      if (decided.length > retainDecided) decided = decided.slice(-retainDecided);
      for (const item of decided) if (item.idx >= fromIdx) safely(() => fn(item));
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
    getDecided: () => (decided.length > retainDecided ? (decided = decided.slice(-retainDecided)) : decided),
    crash(child, error) {
      actor.send({ type: 'omnipaxos.crash', child, error });
    },
    async stop() {
      flushBatch();
      closed ??= 'Shutdown';
      if (actor.getSnapshot().status === 'active') actor.send({ type: 'omnipaxos.stop' });
      rejectAll(closed);
    },
  };
}
