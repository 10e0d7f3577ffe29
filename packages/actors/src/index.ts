// The public entry: what an application uses. What only benches and tests need is in ./internal.ts
// (`@omnipaxos/actors/internal`).
export {
  type ReplicaLogic,
  type ReplicaOutput,
  type ReplicaRef,
  type ReplicaSnapshot,
  replicaLogic,
} from './replica/replica-logic.js';
export type { ReplicaDeps, ReplicaInput } from './replica/replica-input.js';
export type { AppendReply, ReplicaCommand, ReplicaEmitted, ReplyTarget } from './replica/replica-events.js';
export type { ReplicaSummary } from './supervisor/replica-host.js';
export { appendTo } from './replica/append-to.js';
export type { Transport, TransportEndpoint } from './network/transport.js';
export { type TransportCommand, type TransportRef, transportActor, transportFromActor } from './network/transport-actor.js';
export { Router, type RouterOptions, type LinkFault, type TickClock } from './network/router.js';
export { Prng } from '@omnipaxos/core';
export { ReplicaError, type ReplicaErrorCode, SupervisionError } from './errors.js';
export type { DecidedItem, ReplicaStorage, ReplicatedEntry } from './replica/replicated-entry.js';
export { countOf, isReplicatedEntry, originOf, payloadsOf } from './replica/replicated-entry.js';
export type { CatchUpEvent, ClientRequest, SupervisorCommand, SupervisorEmitted } from './events.js';
export { paxosActorLogic } from './children/paxos-actor.js';
export { electionActorLogic } from './children/election-actor.js';
export { DEFAULT_SUPERVISION, type SupervisionPolicy } from './supervisor/supervision-policy.js';
export type { ReplicaSettings, SupervisorInput } from './supervisor/supervisor-input.js';
export { replicaSupervisor } from './supervisor/supervisor-machine.js';
export { type CreateReplicaOptions, DEFAULT_RETAIN_DECIDED_BYTES, type Replica, type ReplicaClock, crashReplica, createReplica } from './replica/replica.js';
export type { ConfigSummary, MigrationMessage, MigrationMsg, SegmentUnavailableReason, WireMessage } from './reconfiguration/migration-messages.js';
export { isMigrationMessage } from './reconfiguration/migration-messages.js';
export { validateMigrationMessage } from './reconfiguration/migration-validate.js';
export type { CompactionOptions, HistorySnapshot } from './reconfiguration/history-snapshot.js';
export { type HistoryStore, MemoryHistoryStore, type PersistedHistory } from './reconfiguration/history-store.js';
