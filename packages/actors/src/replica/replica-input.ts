import { ConfigError, type NodeId, resolveServerConfig } from '@omnipaxos/core';
import type { Transport } from '../network/transport.js';
import type { CompactionOptions } from '../reconfiguration/history-snapshot.js';
import type { HistoryStore } from '../reconfiguration/history-store.js';
import type { ReplicaSettings, SupervisorInput } from '../supervisor/supervisor-input.js';
import type { ReplicaStorage, ReplicatedEntry } from './replicated-entry.js';

/**
 * ReplicaInput is the plain-data input of a replica actor (xstate persists it with the actor): its
 * settings, and `fromIdx`, the first application index to deliver to the parent. Without it a replica
 * continues after the last index delivered by the replica of the same actor id and pid that ran
 * before it in this process (a respawn), else from 0; a replica restored from a persisted snapshot
 * continues after the last index its snapshot had delivered. `fromIdx: 0` asks for a full replay.
 */
export interface ReplicaInput extends ReplicaSettings {
  fromIdx?: number;
}

/**
 * ReplicaDeps are a replica logic's live dependencies, kept in the logic's closure (never in input
 * or context): the transport, the storage of each (pid, configuration), and optionally the history
 * store and compaction. `storage` must return the same durable storage for the same arguments on
 * every call: a restored replica rebuilds from it.
 */
export interface ReplicaDeps<T> {
  transport: Transport<ReplicatedEntry<T>>;
  storage: (pid: NodeId, configurationId: number) => ReplicaStorage<T>;
  historyStore?: (pid: NodeId) => HistoryStore;
  compaction?: CompactionOptions<T>;
}

const LIVE_KEYS = ['storage', 'storageFor', 'transport', 'historyStore', 'compaction'] as const;

const isPositiveInt = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const isNonNegativeInt = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * validateReplicaSettings throws a ConfigError naming the first bad field of a replica's settings:
 * the cluster and server configuration (as the core checks them), tick length, bounds, supervision.
 * With `dataOnly`, live dependencies in the input are refused too (they belong in the logic's deps).
 */
export function validateReplicaSettings(input: ReplicaInput, dataOnly: boolean): void {
  if (input === null || typeof input !== 'object') throw new ConfigError('replica input must be an object');
  if (dataOnly) {
    for (const k of LIVE_KEYS) {
      if (k in input) throw new ConfigError(`replica input holds '${k}': live dependencies go in replicaLogic(deps), the input is plain data`);
    }
  }
  resolveServerConfig({
    clusterConfig: {
      configurationId: input.configurationId ?? 1,
      nodes: input.nodes,
      ...(input.flexibleQuorum ? { flexibleQuorum: input.flexibleQuorum } : {}),
    },
    serverConfig: { ...input.server, pid: input.pid },
  });
  if (input.tickMs !== undefined && !(typeof input.tickMs === 'number' && Number.isFinite(input.tickMs) && input.tickMs > 0)) {
    throw new ConfigError(`tickMs must be a positive number of milliseconds, got ${String(input.tickMs)}`);
  }
  for (const k of ['maxHeldProposals', 'reproposeTicks', 'dedupWindow', 'maxPack'] as const) {
    if (input[k] !== undefined && !isPositiveInt(input[k])) throw new ConfigError(`${k} must be a positive integer, got ${String(input[k])}`);
  }
  if (input.fromIdx !== undefined && !isNonNegativeInt(input.fromIdx)) {
    throw new ConfigError(`fromIdx must be an integer >= 0, got ${String(input.fromIdx)}`);
  }
  const sup = input.supervision ?? {};
  for (const k of ['maxRestarts', 'windowTicks', 'backoffTicks', 'maxBackoffTicks'] as const) {
    if (sup[k] !== undefined && !isNonNegativeInt(sup[k])) throw new ConfigError(`supervision.${k} must be an integer >= 0, got ${String(sup[k])}`);
  }
}

/** supervisorInputOf joins a replica's plain-data input with its live dependencies. */
export function supervisorInputOf<T>(input: ReplicaInput, deps: ReplicaDeps<T>): SupervisorInput<T> {
  const { fromIdx: _fromIdx, ...settings } = input;
  const pid = input.pid;
  const historyStore = deps.historyStore?.(pid);
  return {
    ...settings,
    storage: deps.storage(pid, input.configurationId ?? 1),
    storageFor: (configurationId) => deps.storage(pid, configurationId),
    transport: deps.transport,
    ...(historyStore ? { historyStore } : {}),
    ...(deps.compaction ? { compaction: deps.compaction } : {}),
  };
}
