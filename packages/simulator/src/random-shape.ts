import type { FlexibleQuorum, NodeId, Prng } from '@omnipaxos/core';
import type { Durability } from './cluster-options.js';

/** Compaction is how a random run compacts logs: not at all, leader trims, or snapshots. */
export type CompactionMode = 'none' | 'trim' | 'snapshot';

/** RunShape is everything a random run draws up front from its seed: the cluster and the faults it may use. */
export interface RunShape {
  /** The node ids (not necessarily 1..N). */
  nodes: NodeId[];
  flexibleQuorum: FlexibleQuorum | undefined;
  durability: Durability;
  /** Links may duplicate messages (then an entry may be decided twice). */
  duplicates: boolean;
  batchSize: number;
  compaction: CompactionMode;
  /** Deferred mode: the chance per delivery round that a node flushes. */
  flushChance: number;
  /** A stop sign is proposed during the faults; once decided the run goes on in the next configuration. */
  reconfigure: boolean;
  /** The network keeps copies of messages and delivers them again later, also to restarted nodes. */
  replay: boolean;
  /** Some crashes leave the messages in flight to the crashed node, delivered after its restart. */
  inflightSurvivesCrash: boolean;
  /** Single directions of links are cut. */
  oneWay: boolean;
  /** Link delays may exceed the election and resend timeouts. */
  longDelay: boolean;
  /** Servers call tryBecomeLeader and setPriority. */
  leaderChanges: boolean;
  /** ServerConfig.maxSyncEntries, when pinned (small values make most catch-ups stream in chunks). */
  maxSyncEntries: number | undefined;
  /** Crashes may take down more servers than a quorum tolerates (in any durability mode). */
  majorityCrash: boolean;
  /** How many servers stay down for good when the run heals (at most what a quorum tolerates). */
  minorityDown: number;
}

/** ShapeOverrides pin parts of the shape (the rest is drawn from the seed). */
export interface ShapeOverrides {
  nodes?: number | undefined;
  duplicates?: boolean | undefined;
  batchSize?: number | undefined;
  compaction?: CompactionMode | undefined;
  durability?: Durability | undefined;
  /** ServerConfig.maxSyncEntries of every server (not drawn: the core's default when left out). */
  maxSyncEntries?: number | undefined;
}

/** drawNodeIds returns `n` distinct ids: 1..n, or (by chance) ids spread over 1..4n in random order. */
export function drawNodeIds(prng: Prng, n: number): NodeId[] {
  if (prng.chance(0.5)) return Array.from({ length: n }, (_, i) => i + 1);
  const ids = new Set<NodeId>();
  while (ids.size < n) ids.add(prng.range(1, 4 * n));
  return prng.shuffle([...ids]);
}

/** drawFlexibleQuorum returns, by chance, read and write quorum sizes that intersect (r + w > n, each 2..n). */
export function drawFlexibleQuorum(prng: Prng, n: number): FlexibleQuorum | undefined {
  if (n < 3 || !prng.chance(0.3)) return undefined;
  const writeQuorumSize = prng.range(2, n);
  const readQuorumSize = prng.range(Math.max(2, n - writeQuorumSize + 1), n);
  return { readQuorumSize, writeQuorumSize };
}

/** toleratedDown is how many servers may be down with both a read and a write quorum still up. */
export function toleratedDown(n: number, fq: FlexibleQuorum | undefined): number {
  const majority = Math.floor(n / 2) + 1;
  const need = fq ? Math.max(fq.readQuorumSize, fq.writeQuorumSize) : majority;
  return n - need;
}

/** drawShape draws a run's shape from `prng`; each override replaces one draw. */
export function drawShape(prng: Prng, o: ShapeOverrides): RunShape {
  const n = o.nodes ?? prng.pick([2, 3, 3, 3, 4, 4, 5, 5, 5, 6]);
  const nodes = drawNodeIds(prng, n);
  const flexibleQuorum = drawFlexibleQuorum(prng, n);
  const durability = o.durability ?? (prng.chance(0.5) ? 'deferred' : 'immediate');
  const tolerated = toleratedDown(n, flexibleQuorum);
  return {
    maxSyncEntries: o.maxSyncEntries,
    nodes,
    flexibleQuorum,
    durability,
    duplicates: o.duplicates ?? prng.chance(0.3),
    batchSize: o.batchSize ?? (prng.chance(0.5) ? 1 : 4),
    compaction: o.compaction ?? prng.pick(['none', 'trim', 'snapshot'] as const),
    flushChance: prng.pick([0.1, 0.4, 0.8]),
    reconfigure: prng.chance(0.25),
    replay: prng.chance(0.4),
    inflightSurvivesCrash: prng.chance(0.4),
    oneWay: prng.chance(0.4),
    longDelay: prng.chance(0.25),
    leaderChanges: prng.chance(0.4),
    majorityCrash: prng.chance(0.25),
    minorityDown: tolerated > 0 && prng.chance(0.3) ? prng.range(1, tolerated) : 0,
  };
}
