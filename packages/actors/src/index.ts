export type { Transport, TransportEndpoint } from './transport.js';
export { Router, type RouterOptions, type LinkFault, type TickClock } from './router.js';
export { Prng } from './prng.js';
export { ReplicaError, type ReplicaErrorCode, SupervisionError } from './errors.js';
export type { DecidedItem, ReplicaStorage, ReplicatedEntry } from './replicated-entry.js';
export type {
  ChildErrorEvent,
  ChildReport,
  ClientRequest,
  CrashEvent,
  ElectionActorEvent,
  LeaderEvent,
  MessageEvent,
  PaxosActorEvent,
  RespawnEvent,
  SupervisorCommand,
  SupervisorEmitted,
  SupervisorEvent,
  TickEvent,
} from './events.js';
export { paxosActorLogic } from './paxos-actor.js';
export { PaxosDriver, type PaxosActorInput, type ReportTarget } from './paxos-driver.js';
export { electionActorLogic, ElectionDriver, type ElectionActorInput } from './election-actor.js';
export { driverLogic, type Driver, type DriverSnapshot } from './actor-logic.js';
export { NodeLink, type ChildRef } from './node-link.js';
export { RequestBook } from './request-book.js';
export { DEFAULT_SUPERVISION, type RestartDecision, type SupervisionPolicy, decideRestart } from './supervision-policy.js';
export { type Plan, type SupervisorInput, SupervisorRuntime } from './supervisor-runtime.js';
export { replicaSupervisor, replicaErrorFor, type SupervisorContext, type SupervisorOutput } from './supervisor-machine.js';
export { type CreateReplicaOptions, type Replica, type ReplicaClock, createReplica } from './replica.js';
