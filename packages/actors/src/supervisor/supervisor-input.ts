import type { FlexibleQuorum, NodeId, ServerConfig } from '@omnipaxos/core';
import type { HandoverOptions } from '../reconfiguration/handover.js';
import type { CompactionOptions } from '../reconfiguration/history-snapshot.js';
import type { HistoryStore } from '../reconfiguration/history-store.js';
import type { ReplicaStorage, ReplicatedEntry } from '../replica/replicated-entry.js';
import type { SupervisionPolicy } from './supervision-policy.js';
import type { Transport } from '../network/transport.js';

/**
 * ReplicaSettings are the plain-data settings of one node's replica (what xstate persists): the first
 * configuration, core timeouts, supervision and handover tuning. The live dependencies (storage,
 * transport, history store) are given separately: see SupervisorInput and `replicaLogic`.
 */
export interface ReplicaSettings {
  pid: NodeId;
  /** The nodes of the first configuration. */
  nodes: NodeId[];
  /** The first configuration's id (default 1). */
  configurationId?: number;
  flexibleQuorum?: FlexibleQuorum;
  /** Core server settings (election/resend/flush timeouts in ticks, batch size, priority, buffer). */
  server?: Omit<ServerConfig, 'pid'>;
  /** Milliseconds of the xstate clock between two `omnipaxos.tick` events (default 10). */
  tickMs?: number;
  supervision?: Partial<SupervisionPolicy>;
  /** Most proposals held back while no leader is known or a reconfiguration runs (default 10 000). */
  maxHeldProposals?: number;
  /** Ticks before an undecided proposal is handed to Paxos again (default 50). */
  reproposeTicks?: number;
  /** How many decided entries the duplicate filter remembers (default 100 000). */
  dedupWindow?: number;
  /**
   * Most appended entries packed into one log entry (default 1024): appends that reach the supervisor
   * together (one `appendMany`, or the appends of one microtask) are proposed as one log entry with one
   * de-duplication tag, up to this many; see ReplicatedEntry. 1 proposes every entry on its own.
   */
  maxPack?: number;
  /**
   * This server joins configuration `configurationId` (with `nodes`) by reconfiguration: it first pulls
   * the previous configurations' logs from their servers (announced by ReconfigInit) and starts its
   * election + Paxos pair only when the whole prefix is there. Set it on every start of such a server
   * until its supervisor has completed the handover once in this process.
   */
  joining?: boolean;
  /** Reconfiguration handover settings: chunk size, requests in flight, timeouts (ticks). */
  migration?: Partial<HandoverOptions>;
}

/** SupervisorInput configures one node's replica supervisor: its settings and live dependencies (what `createReplica` takes). */
export interface SupervisorInput<T> extends ReplicaSettings {
  /** The storage of the first configuration; a restarted child recovers from it. */
  storage: ReplicaStorage<T>;
  /**
   * Storage for each later configuration (default: a new MemoryStorage). With a `historyStore` it must
   * return the same durable storage for an id on every start (also for finished configurations, whose
   * entries this server keeps serving; for `configurationId` itself, `storage` is used).
   */
  storageFor?: (configurationId: number) => ReplicaStorage<T>;
  /**
   * Where this server records the configurations it finished (and a history snapshot), so a
   * whole-process restart with the same storages keeps serving segments and keeps its global index
   * (no `joining` needed). Default: none, the history is held in memory only.
   */
  historyStore?: HistoryStore;
  /** Compaction of finished configurations into a snapshot of the application's entries (SnapshotLogic over T). */
  compaction?: CompactionOptions<T>;
  transport: Transport<ReplicatedEntry<T>>;
}

/** SETTING_KEYS are the plain-data fields of a SupervisorInput (what `settingsOf` keeps). */
const SETTING_KEYS = [
  'pid', 'nodes', 'configurationId', 'flexibleQuorum', 'server', 'tickMs', 'supervision', 'maxHeldProposals',
  'reproposeTicks', 'dedupWindow', 'maxPack', 'joining', 'migration',
] as const satisfies readonly (keyof ReplicaSettings)[];

/** settingsOf copies the plain-data settings out of an input that may also hold live dependencies. */
export function settingsOf(input: ReplicaSettings): ReplicaSettings {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (input[k] !== undefined) out[k] = structuredClone(input[k]);
  return out as unknown as ReplicaSettings;
}
