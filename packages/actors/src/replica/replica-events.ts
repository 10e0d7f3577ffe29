import type { ClusterConfig } from '@omnipaxos/core';
import type { ReplicaError } from '../errors.js';
import type { ChildReport, ClientRequest, MigrationEvent, SupervisorEmitted, TickEvent } from '../events.js';

/** AppendReply is what a replica sends an append's `replyTo`: the entry's index, or why it failed. */
export type AppendReply =
  | { type: 'omnipaxos.appended'; requestId: string; idx: number }
  | { type: 'omnipaxos.appendFailed'; requestId: string; error: ReplicaError };

/** ReplyTarget is where append replies go: any actor ref (or object) that takes AppendReply events. */
export interface ReplyTarget {
  send(event: AppendReply): void;
}

/**
 * ReplicaCommand is what an application (a parent machine, a client actor) sends a replica:
 *
 * - `omnipaxos.append` one `entry` (with a `requestId`, default generated) or a batch of `requests`;
 *   with `replyTo`, each request is answered there with `omnipaxos.appended` or `omnipaxos.appendFailed`;
 *   decided entries are also delivered to the parent as `omnipaxos.delivered`, on every replica;
 * - `omnipaxos.reconfigure` proposes a stop sign naming the next configuration;
 * - `omnipaxos.compact` snapshots the finished configurations (through `upToConfigurationId`);
 * - `omnipaxos.stop` stops the replica (status `done`, output `{ reason: 'stopped' }`).
 *
 * Internal events (ticks, child reports, crashes) are not part of this type.
 */
export type ReplicaCommand<T> =
  | { type: 'omnipaxos.append'; entry: T; requestId?: string; replyTo?: ReplyTarget }
  | { type: 'omnipaxos.append'; requests: ClientRequest<T>[]; replyTo?: ReplyTarget }
  | { type: 'omnipaxos.reconfigure'; nextConfig: ClusterConfig; metadata?: Uint8Array }
  | { type: 'omnipaxos.compact'; upToConfigurationId?: number }
  | { type: 'omnipaxos.stop' };

/** ReplicaEmitted is what a replica emits (`actor.on`) and sends its parent: the application's view. */
export type ReplicaEmitted<T> = SupervisorEmitted<T>;

/** CrashCommand is fault injection: make the replica's Paxos or election component fail with `error`. */
export interface CrashCommand {
  type: 'omnipaxos.crash';
  child: 'paxos' | 'election';
  error: unknown;
}

/** ReplicaInternalEvent is what a replica sends itself: ticks, its components' reports and failures. */
export type ReplicaInternalEvent<T> =
  | TickEvent
  | { type: 'omnipaxos.report'; report: ChildReport<T> }
  | { type: 'omnipaxos.childFailed' }
  | MigrationEvent<T>
  | CrashCommand;
