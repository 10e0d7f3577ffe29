import type { NodeId } from '@omnipaxos/core';
import { Cluster } from './cluster.js';
import type { Durability } from './cluster-options.js';
import type { Prng } from '@omnipaxos/core';

/** RandomRunOptions shape one randomized fault run. */
export interface RandomRunOptions {
  seed: number;
  /** Number of servers (default: 3 or 5, chosen by the seed). */
  nodes?: number;
  /** Ticks of faulty operation before everything heals (default 600). */
  faultTicks?: number;
  /** Allow message duplication (then an entry may be decided twice). Default: chosen by the seed. */
  duplicates?: boolean;
  /** Batch size (default: 1 or 4, chosen by the seed). */
  batchSize?: number;
  /** Log compaction during the run: none, leader trims, or snapshots (default: chosen by the seed). */
  compaction?: 'none' | 'trim' | 'snapshot';
  /** Election timeouts allowed for liveness after healing (default 30). */
  livenessTimeouts?: number;
  /**
   * `deferred`: writes are durable only at random flushes, crashes lose the rest, and the leader
   * sends accepts before its own flush (see ClusterOptions.durability). Default: chosen by the seed.
   */
  durability?: Durability;
}

/** RandomRunResult summarizes a run that passed. */
export interface RandomRunResult {
  seed: number;
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
  /** Ticks from healing until every post-heal proposal was decided everywhere. */
  recoveryTicks: number;
}

const ELECTION = 5;

/** decidedStrings returns a node's decided entries, snapshots expanded. */
function decidedStrings(c: Cluster<string, string[]>, pid: NodeId): string[] {
  const out: string[] = [];
  for (const e of c.decidedEntries(pid)) {
    if (e.kind === 'Decided') out.push(e.entry);
    else if (e.kind === 'Snapshotted') out.push(...e.snapshot);
  }
  return out;
}

/** compact makes a random live server trim (if it leads) or snapshot; refusals are expected. */
function compact(c: Cluster<string, string[]>, mode: 'trim' | 'snapshot', prng: Prng): void {
  const alive = c.aliveNodes();
  if (alive.length === 0) return;
  const pid = prng.pick(alive);
  if (mode === 'trim') c.trim(pid);
  else c.snapshot(pid, undefined, prng.chance(0.5));
}

function randomFaults(prng: Prng, duplicates: boolean): { drop: number; duplicate: number; minDelay: number; maxDelay: number } {
  return {
    drop: prng.chance(0.5) ? prng.next() * 0.3 : 0,
    duplicate: duplicates ? prng.next() * 0.2 : 0,
    minDelay: 0,
    maxDelay: prng.chance(0.5) ? prng.range(0, 6) : 0,
  };
}

/**
 * runRandomFaults drives a cluster through random faults — message loss, duplication, reordering,
 * partial partitions, crashes and restarts, failing storage writes — with proposals at random
 * servers, checking the safety invariants after every delivery round. It then heals everything and
 * checks liveness: fresh proposals are decided on every server within a bounded number of election
 * timeouts. Throws SimulationError (with the seed) on any violation.
 */
export function runRandomFaults(options: RandomRunOptions): RandomRunResult {
  const seed = options.seed;
  const cluster0 = new Cluster<string>({ seed, nodes: 1 + 2, checkInvariants: false });
  const choose = cluster0.prng; // a seed-derived generator for the run's shape
  const n = options.nodes ?? (choose.chance(0.5) ? 3 : 5);
  const duplicates = options.duplicates ?? choose.chance(0.3);
  const batchSize = options.batchSize ?? (choose.chance(0.5) ? 1 : 4);
  // Compaction mode: none, trim only, or snapshots (a snapshot of strings is their concatenation).
  const compaction = options.compaction ?? choose.pick(['none', 'trim', 'snapshot'] as const);
  const durability = options.durability ?? (choose.chance(0.5) ? 'deferred' : 'immediate');
  // How slow the disks are in deferred mode: the chance per delivery round that a node flushes.
  const flushChance = choose.pick([0.1, 0.4, 0.8]);
  const c = new Cluster<string, string[]>({
    seed,
    nodes: n,
    ...(compaction === 'snapshot' ? { snapshot: { create: (es: string[]) => es.slice(), merge: (a: string[], b: string[]) => a.concat(b) } } : {}),
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION, batchSize, flushBatchTickTimeout: 3 },
    allowDuplicateDecisions: duplicates,
    reorder: 0.2,
    durability,
    flushChance,
  });
  const prng = c.prng;
  const faultTicks = options.faultTicks ?? 600;
  let proposals = 0;
  let crashes = 0;
  let storageFailures = 0;
  let powerLosses = 0;
  const down = new Set<NodeId>();
  for (let t = 0; t < faultTicks; t++) {
    const r = prng.next();
    if (r < 0.02) {
      const a = prng.pick(c.nodes);
      const b = prng.pick(c.nodes);
      if (a !== b) c.cut(a, b);
    } else if (r < 0.04) {
      const a = prng.pick(c.nodes);
      const b = prng.pick(c.nodes);
      if (a !== b) c.heal(a, b);
    } else if (r < 0.045) {
      c.links.defaults = randomFaults(prng, duplicates);
    } else if (r < 0.05) {
      const a = prng.pick(c.nodes);
      for (const b of c.nodes) if (b !== a) c.links.setFaults(a, b, randomFaults(prng, duplicates));
    } else if (r < 0.056 && down.size < Math.floor((n - 1) / 2) && c.aliveNodes().length > 0) {
      const victim = prng.pick(c.aliveNodes());
      c.crash(victim);
      down.add(victim);
      crashes += 1;
    } else if (r < 0.07 && down.size > 0) {
      const back = prng.pick([...down]);
      down.delete(back);
      c.restart(back);
    } else if (r < 0.074 && c.aliveNodes().length > 0) {
      const victim = prng.pick(c.aliveNodes());
      c.storage(victim).failNthWriteFromNow(prng.range(1, 5));
      storageFailures += 1;
    } else if (r < 0.076 && compaction !== 'none') {
      compact(c, compaction, prng);
    } else if (r < 0.078) {
      const ids = prng.shuffle([...c.nodes]);
      const cut = prng.range(1, n - 1);
      c.partition([ids.slice(0, cut), ids.slice(cut)]);
    } else if (r < 0.088 && durability === 'deferred') {
      // A power loss: every server crashes at once, losing what it had not flushed, and restarts.
      for (const pid of c.aliveNodes()) c.crash(pid);
      for (const pid of c.nodes) c.restart(pid);
      down.clear();
      powerLosses += 1;
    }
    if (prng.chance(0.3)) c.propose(prng.pick(c.nodes), `e${proposals++}`);
    c.tick();
    // A storage failure crashes a node: bring it back later like any crash.
    for (const pid of c.nodes) if (!c.isAlive(pid) && !down.has(pid)) down.add(pid);
  }
  // Heal everything: links, faults, crashed servers.
  c.healAll();
  for (const pid of c.nodes) c.storage(pid).failAt = undefined;
  for (const pid of c.nodes) if (!c.isAlive(pid)) down.add(pid);
  for (const pid of down) c.restart(pid);
  down.clear();
  const healedAt = c.now;
  const bound = (options.livenessTimeouts ?? 30) * ELECTION;
  // Core forwards proposals best-effort (a leader change may drop one; clients retry), so liveness
  // is judged on proposals made once every server follows one leader in the Accept phase.
  c.runUntil(() => {
    const leader = c.leader();
    return leader !== undefined && c.nodes.every((p) => {
      const l = c.replica(p).getCurrentLeader();
      return l !== undefined && l.pid === leader && l.accepted;
    });
  }, bound, 'every server following one leader after healing');
  // Like a real client, retry an operation that was not decided within a few election timeouts
  // (a leader change may drop an in-flight proposal); each attempt is a distinct entry.
  const pending = new Map<number, number>(); // operation -> attempt
  for (let op = 0; op < 3; op++) {
    pending.set(op, 0);
    c.propose(prng.pick(c.nodes), `fresh${op}#0`);
  }
  const isDecidedEverywhere = (op: number): boolean =>
    c.nodes.every((pid) => decidedStrings(c, pid).some((v) => v.startsWith(`fresh${op}#`)));
  let lastTry = c.now;
  c.runUntil(
    () => {
      for (const op of [...pending.keys()]) if (isDecidedEverywhere(op)) pending.delete(op);
      if (pending.size > 0 && c.now - lastTry >= 6 * ELECTION) {
        lastTry = c.now;
        for (const [op, attempt] of pending) {
          pending.set(op, attempt + 1);
          c.propose(prng.pick(c.nodes), `fresh${op}#${attempt + 1}`);
        }
      }
      return pending.size === 0;
    },
    Math.max(1, bound - (c.now - healedAt)),
    'every post-heal operation decided on every server',
  );
  return {
    seed,
    nodes: n,
    ticks: c.now,
    delivered: c.delivered,
    decided: c.checker.decidedCount(),
    durability,
    crashes,
    storageFailures,
    powerLosses,
    recoveryTicks: c.now - healedAt,
  };
}
