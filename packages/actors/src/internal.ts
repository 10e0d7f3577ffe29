// `@omnipaxos/actors/internal`: the building blocks behind the public entry, for benches and tests.
// No stability promise: names here may change between minor versions.
export { lowOf, seqOf, sessionOf } from './replica/replicated-entry.js';
export type {
  ChildErrorEvent,
  ChildReport,
  CrashEvent,
  ElectionActorEvent,
  LeaderEvent,
  MessageEvent,
  MigrationEvent,
  PaxosActorEvent,
  RespawnEvent,
  SupervisorEvent,
  TickEvent,
} from './events.js';
export { type ChildActorInput, PaxosDriver, type PaxosActorInput, type ReportTarget } from './children/paxos-driver.js';
export { ElectionDriver, type ElectionActorInput } from './children/election-actor.js';
export { driverLogic, type Driver, type DriverSnapshot } from './children/actor-logic.js';
export { NodeLink, type ChildRef } from './network/node-link.js';
export { LinkBandwidth } from './network/link-bandwidth.js';
/** estimateSize is core's estimate of a value's encoded size (re-exported here for existing imports). */
export { estimateSize } from '@omnipaxos/core';
export { DedupFilter } from './replica/dedup-filter.js';
export { RequestBook } from './replica/request-book.js';
export { type RestartDecision, decideRestart } from './supervisor/supervision-policy.js';
export { type HostCallbacks, type HostOutcome, ReplicaHost } from './supervisor/replica-host.js';
export { settingsOf } from './supervisor/supervisor-input.js';
export { buildReplicaLogic, type Opened } from './replica/replica-logic.js';
export { supervisorInputOf, validateReplicaSettings } from './replica/replica-input.js';
export type { CrashCommand, ReplicaInternalEvent } from './replica/replica-events.js';
export { type Plan, type SupervisorMode, SupervisorRuntime } from './supervisor/supervisor-runtime.js';
export { replicaErrorFor, type SupervisorContext, type SupervisorOutput, supervisorLogic } from './supervisor/supervisor-machine.js';
export { HistoryLog, type EntryReader, arrayReader, splicedReader, storageReader } from './reconfiguration/history-log.js';
export { buildHistorySnapshot } from './reconfiguration/build-snapshot.js';
export { HistoryPersistence, type KeptEntries, type PersistenceInput, trimmer } from './reconfiguration/history-persistence.js';
export { PulledReplay } from './reconfiguration/pulled-replay.js';
export {
  DEFAULT_PULLER_OPTIONS,
  type PullRange,
  type PullRequest,
  type PullerEvent,
  type PullerOptions,
  SegmentPuller,
} from './reconfiguration/segment-puller.js';
export { DEFAULT_MAX_SEGMENT_BYTES, Handover, type HandleResult, type HandoverHost, type HandoverOptions } from './reconfiguration/handover.js';
export { DecidedRetention } from './replica/decided-retention.js';
