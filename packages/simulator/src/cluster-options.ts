import type { FlexibleQuorum, NodeId, ServerConfig, SnapshotLogic, Storage } from '@omnipaxos/core';

/** Durability is how a simulated node's writes become durable (see ClusterOptions.durability). */
export type Durability = 'immediate' | 'deferred';

/** ClusterOptions configure a simulated cluster. */
export interface ClusterOptions<T, S> {
  /** Seed of every random choice: the same seed replays the same run. */
  seed: number;
  /** The node ids, or a count n for nodes 1..n. */
  nodes: NodeId[] | number;
  configurationId?: number;
  flexibleQuorum?: FlexibleQuorum;
  /** Server settings shared by all nodes (pid is filled in). */
  serverConfig?: Omit<ServerConfig, 'pid'>;
  /** Per-node overrides, e.g. a leader priority. */
  perNode?: (pid: NodeId) => Omit<ServerConfig, 'pid'>;
  snapshot?: SnapshotLogic<T, S>;
  /** Makes the storage under each node's FaultyStorage wrapper; default MemoryStorage. */
  storage?: (pid: NodeId) => Storage<T, S>;
  /** Check the invariants after every delivery round (default true). */
  checkInvariants?: boolean;
  /** Whether an entry may legitimately be decided twice (set when messages are duplicated). */
  allowDuplicateDecisions?: boolean;
  /** Probability that the messages due in one delivery round are shuffled. */
  reorder?: number;
  /** How many recent events to keep for the failure trace (default 400). */
  traceLimit?: number;
  /** When set, every event line is also handed to this function (for data-driven tests). */
  onEvent?: (line: string) => void;
  keyOf?: (entry: T) => string;
  /** The replicas' entry size for `maxSyncBytes` (OmniPaxosOptions.sizeOf); default the core's estimate. */
  sizeOf?: (entry: T) => number;
  /**
   * `immediate` (default): every write is durable when made, and messages go out at once.
   * `deferred`: models a driver with group commit that pipelines the leader — writes become durable
   * only when the node flushes (each delivery round, with probability `flushChance`), a crash loses
   * the unflushed ones, messages wait for the flush except the leader's AcceptDecide / Decide and
   * forwarded proposals (which go out at once while nothing older waits), and replicas run with
   * `deferLeaderAccept`. Needs the default storage.
   */
  durability?: Durability;
  /**
   * In `deferred` mode, the chance that a node with unflushed writes flushes in a delivery round
   * (default 0.5); a function sets it per node (0 holds that node's flushes back).
   */
  flushChance?: number | ((pid: NodeId) => number);
}

/** SimulationError is a failed run: the message names the seed, the trace shows what led there. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  constructor(
    message: string,
    readonly seed: number,
    readonly trace: string[],
    options?: { cause?: unknown },
  ) {
    super(`${message}\n  seed: ${seed} (replay with this seed)\n  last events:\n    ${trace.join('\n    ')}`, options);
  }
}
