import { ReplicaError, type ReplicaErrorCode } from '../errors.js';
import { buildReplicaLogic, type ReplicaLogic, type ReplicaOutput } from '../replica/replica-logic.js';
import { validateReplicaSettings } from '../replica/replica-input.js';
import type { ReplicaSummary } from './replica-host.js';
import { type SupervisorInput, settingsOf } from './supervisor-input.js';

/** SupervisorContext is the supervisor's snapshot context: the replica's inspection summary. */
export type SupervisorContext = ReplicaSummary;

/** SupervisorOutput is the supervisor's output once it is done (stopped, or retired by a reconfiguration). */
export type SupervisorOutput = ReplicaOutput;

/**
 * replicaSupervisor is the replica logic of earlier versions, whose input carries its live
 * dependencies (`storage`, `transport`, ...) next to its settings. It behaves as `replicaLogic`, but
 * a machine holding it cannot be restored from a persisted snapshot (the input's live objects are not
 * persisted): prefer `replicaLogic(deps)`.
 */
export const replicaSupervisor: ReplicaLogic<unknown, SupervisorInput<unknown>> = supervisorLogic<unknown>();

/** supervisorLogic is `replicaSupervisor` typed by the entry type `T` (what `createReplica` runs). */
export function supervisorLogic<T>(): ReplicaLogic<T, SupervisorInput<T>> {
  return buildReplicaLogic<T, SupervisorInput<T>>((input) => {
    validateReplicaSettings(input, false);
    return { supervisorInput: input, data: settingsOf(input) };
  }, undefined);
}

/** replicaErrorFor builds the error a client promise rejects with for a failed request. */
export function replicaErrorFor(code: ReplicaErrorCode, rid: string, cause?: unknown): ReplicaError {
  return new ReplicaError(code, rid, cause === undefined ? undefined : { cause });
}
