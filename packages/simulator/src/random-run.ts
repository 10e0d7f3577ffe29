import type { ClusterConfig, NodeId, Prng } from '@omnipaxos/core';
import { Cluster } from './cluster.js';
import { type Durability, SimulationError } from './cluster-options.js';
import { ELECTION, FaultDriver, type Feature, type RandomCluster } from './random-faults.js';
import { checkFreshOperations, checkQuiescentLiveness, checkStopSignDecided, heal, waitForLeader } from './random-liveness.js';
import { type CompactionMode, type RunShape, drawFlexibleQuorum, drawNodeIds, drawShape } from './random-shape.js';

export { FEATURES, type Feature } from './random-faults.js';

/** RandomRunOptions shape one randomized fault run; what is left out is drawn from the seed. */
export interface RandomRunOptions {
  seed: number;
  /** Number of servers (default: 2 to 6, chosen by the seed). */
  nodes?: number;
  /** Ticks of faulty operation before everything heals (default 600; 200 in a next configuration). */
  faultTicks?: number;
  /** Allow message duplication (then an entry may be decided twice). Default: chosen by the seed. */
  duplicates?: boolean;
  /** Batch size (default: 1 or 4, chosen by the seed). */
  batchSize?: number;
  /** Log compaction during the run: none, leader trims, or snapshots (default: chosen by the seed). */
  compaction?: CompactionMode;
  /** Election timeouts allowed for each liveness check after healing (default 40). */
  livenessTimeouts?: number;
  /**
   * `deferred`: writes are durable only at random flushes, crashes lose the rest, and the leader
   * sends accepts before its own flush (see ClusterOptions.durability). Default: chosen by the seed.
   */
  durability?: Durability;
  /** Entries per log sync or catch-up message (ServerConfig.maxSyncEntries); small values make most catch-ups stream in chunks. */
  maxSyncEntries?: number;
}

/** RandomRunResult summarizes a run that passed. */
export interface RandomRunResult {
  seed: number;
  /** Servers of the first configuration. */
  nodes: number;
  ticks: number;
  delivered: number;
  decided: number;
  /** The durability mode the run used. */
  durability: Durability;
  crashes: number;
  storageFailures: number;
  /** Whole-cluster crashes (deferred durability mode only). */
  powerLosses: number;
  /** Ticks from healing until every liveness check of the last configuration passed. */
  recoveryTicks: number;
  /** How many configurations the run went through (2 after a decided reconfiguration). */
  configurations: number;
  /** What the run exercised, sorted. */
  features: Feature[];
}

/** nextConfig draws the configuration a stop sign leads to: some servers kept, some new, 2 to 6 in all. */
function nextConfig(prng: Prng, current: ClusterConfig): ClusterConfig {
  const size = prng.range(2, 6);
  const kept = prng.shuffle([...current.nodes]).slice(0, prng.range(0, Math.min(size, current.nodes.length)));
  const ids = new Set<NodeId>(kept);
  const fresh = drawNodeIds(prng, size * 2).map((x) => x + 100);
  for (const id of fresh) if (ids.size < size) ids.add(id);
  const next: ClusterConfig = { configurationId: current.configurationId + 1, nodes: [...ids] };
  const fq = drawFlexibleQuorum(prng, size);
  if (fq) next.flexibleQuorum = fq;
  return next;
}

function makeCluster(seed: number, shape: RunShape, config: ClusterConfig): RandomCluster {
  return new Cluster<string, string[]>({
    seed,
    nodes: config.nodes,
    configurationId: config.configurationId,
    ...(config.flexibleQuorum ? { flexibleQuorum: config.flexibleQuorum } : {}),
    ...(shape.compaction === 'snapshot'
      ? { snapshot: { create: (es: string[]) => es.slice(), merge: (a: string[], b: string[]) => a.concat(b) } }
      : {}),
    serverConfig: {
      electionTickTimeout: ELECTION,
      resendMessageTickTimeout: 4 * ELECTION,
      batchSize: shape.batchSize,
      flushBatchTickTimeout: 3,
      ...(shape.maxSyncEntries !== undefined ? { maxSyncEntries: shape.maxSyncEntries } : {}),
    },
    allowDuplicateDecisions: shape.duplicates,
    reorder: 0.2,
    durability: shape.durability,
    flushChance: shape.flushChance,
  });
}

function noteShape(shape: RunShape, config: ClusterConfig, used: Set<Feature>): void {
  const n = config.nodes.length;
  if (config.flexibleQuorum) used.add('flexibleQuorum');
  if (n % 2 === 0) used.add('evenSize');
  if (config.nodes.some((id, i) => id !== i + 1)) used.add('customIds');
  if (shape.durability === 'deferred') used.add('deferred');
  if (shape.duplicates) used.add('duplicates');
}

interface EpochResult {
  c: RandomCluster;
  driver: FaultDriver;
  recoveryTicks: number;
  /** The configuration its decided stop sign leads to, if it reconfigured. */
  next: ClusterConfig | undefined;
}

/**
 * runEpoch runs one configuration: the fault phase, then healing (a minority may stay down for
 * good), then the liveness checks — with no new proposal everything the leader holds is decided;
 * fresh operations are decided; a stop sign, if the configuration reconfigures, is decided.
 */
function runEpoch(
  seed: number,
  shape: RunShape,
  config: ClusterConfig,
  used: Set<Feature>,
  prefix: string,
  faultTicks: number,
  bound: number,
  reconfigure: boolean,
): EpochResult {
  const c = makeCluster(seed, shape, config);
  noteShape(shape, config, used);
  const prng = c.prng;
  const stopSign = reconfigure ? { at: prng.range(0, faultTicks - 1), next: nextConfig(prng, config) } : undefined;
  const driver = new FaultDriver(c, shape, used, prefix, stopSign);
  driver.run(faultTicks);
  heal(driver, Math.min(shape.minorityDown, Math.max(0, config.nodes.length - quorumOf(config))));
  const healedAt = c.now;
  waitForLeader(c, bound);
  if (checkQuiescentLiveness(c, bound)) used.add('quiescentLiveness');
  const leader = c.leader() as NodeId;
  // Once a stop sign is decided nothing more may be appended: only new operations before it.
  if (c.replica(leader).isReconfigured() === undefined) checkFreshOperations(driver, bound);
  if (stopSign) checkStopSignDecided(driver, bound);
  c.checkDecidedLogs();
  driver.noteDelivered();
  const ss = c.replica(c.leader() ?? leader).isReconfigured();
  return { c, driver, recoveryTicks: c.now - healedAt, next: ss?.nextConfig };
}

function quorumOf(config: ClusterConfig): number {
  const majority = Math.floor(config.nodes.length / 2) + 1;
  const fq = config.flexibleQuorum;
  return fq ? Math.max(fq.readQuorumSize, fq.writeQuorumSize) : majority;
}

/** inNextConfiguration runs the next configuration's phase; a failure names the run's seed, which replays it. */
function inNextConfiguration<R>(seed: number, next: ClusterConfig, run: () => R): R {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof SimulationError)) throw err;
    const cut = err.message.indexOf('\n  seed: ');
    const what = cut >= 0 ? err.message.slice(0, cut) : err.message;
    throw new SimulationError(`in configuration ${next.configurationId} [${next.nodes.join(',')}]: ${what}`, seed, err.trace, { cause: err });
  }
}

/**
 * runRandomFaults drives a cluster through random faults — message loss, duplication, reordering,
 * long delays, two- and one-way cuts, partitions, crashes of a minority or a majority (messages in
 * flight to a crashed node may survive it), restarts, failing writes, power loss, compaction, leader
 * changes, replays of old messages — with proposals at random servers, checking the safety
 * invariants after every delivery round and the whole decided logs every 10 ticks. It then heals
 * (a minority may stay down for good) and checks liveness: with no new proposal everything the
 * leader holds is decided; fresh proposals are decided on every live server. A run may reconfigure:
 * its stop sign must be decided, and the run goes on in the next configuration. Cluster sizes, node
 * ids, quorums and the faults used are drawn from the seed. Throws SimulationError (with the seed)
 * on any violation; the seed replays the run exactly.
 */
export function runRandomFaults(options: RandomRunOptions): RandomRunResult {
  const seed = options.seed;
  const choose = new Cluster<string>({ seed, nodes: 3, checkInvariants: false }).prng; // the run's shape
  const shape = drawShape(choose, options);
  const used = new Set<Feature>();
  const bound = (options.livenessTimeouts ?? 40) * ELECTION;
  const first: ClusterConfig = { configurationId: 1, nodes: shape.nodes };
  if (shape.flexibleQuorum) first.flexibleQuorum = shape.flexibleQuorum;
  const one = runEpoch(seed, shape, first, used, '', options.faultTicks ?? 600, bound, shape.reconfigure);
  let last = one;
  let ticks = one.c.now;
  let delivered = one.c.delivered;
  let decided = one.c.checker.decidedCount();
  if (one.next) {
    used.add('reconfigure');
    const nextSeed = choose.int(2 ** 31);
    last = inNextConfiguration(seed, one.next, () =>
      runEpoch(nextSeed, shape, one.next as ClusterConfig, used, `c${one.next?.configurationId}:`, Math.floor((options.faultTicks ?? 600) / 3), bound, false),
    );
    ticks += last.c.now;
    delivered += last.c.delivered;
    decided += last.c.checker.decidedCount();
  }
  const drivers = one === last ? [one.driver] : [one.driver, last.driver];
  return {
    seed,
    nodes: shape.nodes.length,
    ticks,
    delivered,
    decided,
    durability: shape.durability,
    crashes: drivers.reduce((a, d) => a + d.crashes, 0),
    storageFailures: drivers.reduce((a, d) => a + d.storageFailures, 0),
    powerLosses: drivers.reduce((a, d) => a + d.powerLosses, 0),
    recoveryTicks: last.recoveryTicks,
    configurations: one === last ? 1 : 2,
    features: [...used].sort(),
  };
}
