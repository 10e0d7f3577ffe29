import { ConfigError } from './errors.js';
import type { NodeId } from './node-id.js';

/** FlexibleQuorum sets the read (Prepare) and write (Accept) quorum sizes; they must intersect. */
export interface FlexibleQuorum {
  readQuorumSize: number;
  writeQuorumSize: number;
}

/** ClusterConfig is what all servers of one configuration agree on. */
export interface ClusterConfig {
  configurationId: number;
  nodes: NodeId[];
  flexibleQuorum?: FlexibleQuorum;
}

/** ServerConfig is one server's own settings. Tick timeouts count calls to `tick()`. */
export interface ServerConfig {
  pid: NodeId;
  /** Ticks between heartbeat rounds of leader election. */
  electionTickTimeout?: number;
  /** Ticks before unanswered Prepare, Promise, PrepareReq and stop-sign messages are resent. */
  resendMessageTickTimeout?: number;
  /** Entries gathered before an AcceptDecide batch is written and sent (1 = no batching). */
  batchSize?: number;
  /** Ticks after which a partial batch is flushed anyway. */
  flushBatchTickTimeout?: number;
  /** A higher priority wins elections among equally numbered ballots. */
  leaderPriority?: number;
  /** Maximum proposals held while no leader takes them; past it `append` throws BufferFull. */
  bufferSize?: number;
  /**
   * Most entries in one log sync or catch-up message. A follower further behind catches up in
   * chunks (decided entries first, then a short AcceptSync), never in one message.
   */
  maxSyncEntries?: number;
  /** Most bytes in one log sync or catch-up message, measured by the `sizeOf` option (a lone larger entry still travels). */
  maxSyncBytes?: number;
}

/** OmniPaxosConfig is the whole configuration of one replica. */
export interface OmniPaxosConfig {
  clusterConfig: ClusterConfig;
  serverConfig: ServerConfig;
}

/** ResolvedServerConfig is a ServerConfig with every default filled in. */
export type ResolvedServerConfig = Required<ServerConfig>;

/** SERVER_DEFAULTS are the values used for ServerConfig fields left out. */
export const SERVER_DEFAULTS: Readonly<Omit<ResolvedServerConfig, 'pid'>> = Object.freeze({
  electionTickTimeout: 5,
  resendMessageTickTimeout: 20,
  batchSize: 1,
  flushBatchTickTimeout: 5,
  leaderPriority: 0,
  bufferSize: 100_000,
  maxSyncEntries: 4096,
  maxSyncBytes: 4 * 1024 * 1024,
});

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

/** validateClusterConfig throws ConfigError unless the cluster configuration is usable. */
export function validateClusterConfig(c: ClusterConfig): void {
  if (c === null || typeof c !== 'object') throw new ConfigError('clusterConfig must be an object');
  if (!isPositiveInt(c.configurationId)) {
    throw new ConfigError(`configurationId must be a positive integer, got ${String(c.configurationId)}`);
  }
  if (!Array.isArray(c.nodes) || c.nodes.length < 1) {
    throw new ConfigError('a cluster needs at least one node');
  }
  for (const pid of c.nodes) {
    if (!isPositiveInt(pid)) throw new ConfigError(`node ids must be positive integers, got ${String(pid)}`);
  }
  if (new Set(c.nodes).size !== c.nodes.length) throw new ConfigError('node ids must be unique');
  const fq = c.flexibleQuorum;
  if (fq !== undefined && fq !== null) {
    const n = c.nodes.length;
    if (n === 1) throw new ConfigError('a one-node cluster takes no flexible quorum (its only server is every quorum)');
    const { readQuorumSize: r, writeQuorumSize: w } = fq;
    if (!Number.isSafeInteger(r) || !Number.isSafeInteger(w)) {
      throw new ConfigError('flexible quorum sizes must be integers');
    }
    if (r + w <= n) throw new ConfigError(`read + write quorum must exceed the node count (${r} + ${w} <= ${n})`);
    if (r < 2 || w < 2 || r > n || w > n) {
      throw new ConfigError(`each quorum must hold between 2 and ${n} nodes (read ${r}, write ${w})`);
    }
  }
}

/** resolveServerConfig validates a server's settings against its cluster and fills in defaults. */
export function resolveServerConfig(config: OmniPaxosConfig): ResolvedServerConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError('config must be an object');
  validateClusterConfig(config.clusterConfig);
  const s = config.serverConfig;
  if (s === null || typeof s !== 'object') throw new ConfigError('serverConfig must be an object');
  if (!isPositiveInt(s.pid)) throw new ConfigError(`pid must be a positive integer, got ${String(s.pid)}`);
  if (!config.clusterConfig.nodes.includes(s.pid)) {
    throw new ConfigError(`pid ${s.pid} is not among the nodes [${config.clusterConfig.nodes.join(', ')}]`);
  }
  const resolved: ResolvedServerConfig = { ...SERVER_DEFAULTS, pid: s.pid };
  for (const key of Object.keys(SERVER_DEFAULTS) as (keyof typeof SERVER_DEFAULTS)[]) {
    const v = s[key];
    if (v === undefined) continue;
    const min = key === 'leaderPriority' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ConfigError(`${key} must be an integer >= ${min}, got ${String(v)}`);
    }
    resolved[key] = v;
  }
  return resolved;
}

/** peersOf lists the other nodes of a configuration. */
export function peersOf(nodes: readonly NodeId[], pid: NodeId): NodeId[] {
  return nodes.filter((p) => p !== pid);
}
