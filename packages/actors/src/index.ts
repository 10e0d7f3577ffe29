export type { Transport, TransportEndpoint } from './transport.js';
export { Router, type RouterOptions, type LinkFault, type TickClock } from './router.js';
export { Prng } from '@omnipaxos/core';
export { ReplicaError, type ReplicaErrorCode, SupervisionError } from './errors.js';
export type { DecidedItem, ReplicaStorage, ReplicatedEntry } from './replicated-entry.js';
export { countOf, isReplicatedEntry, lowOf, originOf, payloadsOf, seqOf, sessionOf } from './replicated-entry.js';
export type {
  ChildErrorEvent,
  CatchUpEvent,
  ChildReport,
  ClientRequest,
  CrashEvent,
  ElectionActorEvent,
  LeaderEvent,
  MigrationEvent,
  MessageEvent,
  PaxosActorEvent,
  RespawnEvent,
  SupervisorCommand,
  SupervisorEmitted,
  SupervisorEvent,
  TickEvent,
} from './events.js';
export { paxosActorLogic } from './paxos-actor.js';
export { type ChildActorInput, PaxosDriver, type PaxosActorInput, type ReportTarget } from './paxos-driver.js';
export { electionActorLogic, ElectionDriver, type ElectionActorInput } from './election-actor.js';
export { driverLogic, type Driver, type DriverSnapshot } from './actor-logic.js';
export { NodeLink, type ChildRef } from './node-link.js';
export { RequestBook } from './request-book.js';
export { DEFAULT_SUPERVISION, type RestartDecision, type SupervisionPolicy, decideRestart } from './supervision-policy.js';
export { type Plan, type SupervisorInput, type SupervisorMode, SupervisorRuntime } from './supervisor-runtime.js';
export { replicaSupervisor, replicaErrorFor, type SupervisorContext, type SupervisorOutput } from './supervisor-machine.js';
export { type CreateReplicaOptions, type Replica, type ReplicaClock, createReplica } from './replica.js';
export type { ConfigSummary, MigrationMessage, MigrationMsg, SegmentUnavailableReason, WireMessage } from './migration-messages.js';
export { isMigrationMessage } from './migration-messages.js';
export { validateMigrationMessage } from './migration-validate.js';
export { HistoryLog, type EntryReader, arrayReader, splicedReader, storageReader } from './history-log.js';
export { type CompactionOptions, type HistorySnapshot, buildHistorySnapshot } from './history-snapshot.js';
export { type HistoryStore, MemoryHistoryStore, type PersistedHistory } from './history-store.js';
export { HistoryPersistence, type KeptEntries, type PersistenceInput, trimmer } from './history-persistence.js';
export { PulledReplay } from './pulled-replay.js';
export { DEFAULT_PULLER_OPTIONS, type PullRange, type PullRequest, type PullerEvent, type PullerOptions, SegmentPuller } from './segment-puller.js';
export { Handover, type HandleResult, type HandoverOptions } from './handover.js';
export { LinkBandwidth, estimateSize } from './link-bandwidth.js';
