import type {
  Ballot,
  BLEMessage,
  ClusterConfig,
  LogEntry,
  Message,
  NodeId,
  PaxosStatus,
  ProposeErrorCode,
} from '@omnipaxos/core';
import type { ReplicaErrorCode } from './errors.js';
import type { HistorySnapshot } from './reconfiguration/history-snapshot.js';
import type { MigrationMessage } from './reconfiguration/migration-messages.js';
import type { PullRange, PullerEvent } from './reconfiguration/segment-puller.js';
import type { DecidedItem, ReplicatedEntry } from './replica/replicated-entry.js';

/**
 * TickEvent is the only clock of every actor: timers count these, never wall time. `ticks` (default 1)
 * is how many ticks it stands for: an idle replica delivers several at once, never past a due timeout.
 */
export interface TickEvent {
  type: 'omnipaxos.tick';
  ticks?: number;
}

/** MessageEvent hands an actor a replica message that arrived from the transport. */
export interface MessageEvent<T> {
  type: 'omnipaxos.message';
  message: Message<ReplicatedEntry<T>>;
}

/** LeaderEvent is leader election's indication to Sequence Paxos: lead or follow `ballot`. */
export interface LeaderEvent {
  type: 'omnipaxos.leader';
  ballot: Ballot;
}

/** CrashEvent makes an actor fail with `error` (fault injection, or an asynchronous flush failure). */
export interface CrashEvent {
  type: 'omnipaxos.crash';
  error: unknown;
}

/** PaxosActorEvent is every event the Paxos actor takes. */
export type PaxosActorEvent<T> =
  | TickEvent
  | MessageEvent<T>
  | LeaderEvent
  | CrashEvent
  | { type: 'omnipaxos.append'; entries: ReplicatedEntry<T>[] }
  | { type: 'omnipaxos.reconfigure'; nextConfig: ClusterConfig; metadata?: Uint8Array }
  | { type: 'omnipaxos.reconnected'; peer: NodeId };

/** ElectionActorEvent is every event the leader-election actor takes. */
export type ElectionActorEvent =
  | TickEvent
  | CrashEvent
  | { type: 'omnipaxos.message'; message: BLEMessage }
  | { type: 'omnipaxos.status'; status: PaxosStatus };

/** ChildReport is what the election and Paxos children tell their supervisor; `incarnation` filters stale ones. */
export type ChildReport<T> =
  | { type: 'omnipaxos.leader'; incarnation: number; ballot: Ballot }
  | {
      type: 'omnipaxos.status';
      incarnation: number;
      status: PaxosStatus;
      leader: { pid: NodeId; accepted: boolean } | undefined;
    }
  | {
      /** Entries decided (and flushed) in [fromIdx, fromIdx + entries.length), indices local to the configuration. */
      type: 'omnipaxos.decided';
      incarnation: number;
      fromIdx: number;
      entries: LogEntry<ReplicatedEntry<T>, never>[];
    }
  | { type: 'omnipaxos.rejected'; incarnation: number; entries: ReplicatedEntry<T>[]; code: ProposeErrorCode };

/** ClientRequest is one proposal: the application's entry and its request id. */
export interface ClientRequest<T> {
  rid: string;
  entry: T;
}

/** SupervisorCommand is what a client (or a parent actor) sends the supervisor. */
export type SupervisorCommand<T> =
  | { type: 'omnipaxos.append'; requests: ClientRequest<T>[] }
  | { type: 'omnipaxos.reconfigure'; nextConfig: ClusterConfig; metadata?: Uint8Array }
  | { type: 'omnipaxos.stop' }
  /** Compact the finished configurations' history (through `upToConfigurationId`, default all) into a snapshot. */
  | { type: 'omnipaxos.compact'; upToConfigurationId?: number }
  /** Fault injection: make the named child fail with `error` (the supervisor then restarts it). */
  | { type: 'omnipaxos.crash'; child: 'paxos' | 'election'; error: unknown };

/** ChildErrorEvent is xstate's report that a child actor failed. */
export interface ChildErrorEvent {
  type: `xstate.error.actor.${string}`;
  error: unknown;
}

/** RespawnEvent is the supervisor's internal event to (re)start the pair of the current configuration. */
export interface RespawnEvent {
  type: 'omnipaxos.respawn';
}

/** MigrationEvent hands the supervisor a reconfiguration handover message that arrived from the transport. */
export interface MigrationEvent<T> {
  type: 'omnipaxos.migrationMessage';
  message: MigrationMessage<ReplicatedEntry<T>>;
}

/** SupervisorEvent is every event the supervisor takes. */
export type SupervisorEvent<T> = TickEvent | ChildReport<T> | SupervisorCommand<T> | ChildErrorEvent | RespawnEvent | MigrationEvent<T>;

/**
 * CatchUpEvent is one step of a server's catch-up after a reconfiguration (global raw positions):
 * the pull started with its segments, a chunk arrived, a failed source's work moved, the pull completed.
 */
export type CatchUpEvent =
  | { kind: 'started'; configurationId: number; from: number; to: number; segments: PullRange[] }
  | PullerEvent
  | { kind: 'completed'; configurationId: number; entries: number; ticks: number }
  | { kind: 'handedOver'; configurationId: number };

/**
 * SupervisorEmitted is what the supervisor emits (`actor.on(type, ...)`) and also sends to its parent
 * actor, if it has one: the application's view of the replica.
 */
export type SupervisorEmitted<T> =
  | { type: 'omnipaxos.delivered'; pid: NodeId; items: DecidedItem<T>[] }
  | { type: 'omnipaxos.failed'; pid: NodeId; rids: string[]; code: ReplicaErrorCode }
  | { type: 'omnipaxos.leaderChanged'; pid: NodeId; leader: NodeId | undefined }
  | { type: 'omnipaxos.restarted'; pid: NodeId; restarts: number; error: unknown }
  | { type: 'omnipaxos.reconfigured'; pid: NodeId; config: ClusterConfig }
  /** Emitted only (not sent to the parent, which gets `xstate.error.actor.<id>`): the restart budget is spent. */
  | { type: 'omnipaxos.escalated'; pid: NodeId; error: Error }
  | { type: 'omnipaxos.catchUp'; pid: NodeId; event: CatchUpEvent }
  /**
   * A snapshot of the history prefix: application entries [0, snapshot.appEnd) are `snapshot.data`.
   * `pulled` (from a source that compacted) and `restored` (read back after a restart) come before the
   * entries that follow it: the application installs it. `compacted` reports this server's own
   * compaction of entries it already delivered.
   */
  | { type: 'omnipaxos.snapshot'; pid: NodeId; origin: 'pulled' | 'restored' | 'compacted'; snapshot: HistorySnapshot };
