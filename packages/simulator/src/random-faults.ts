import type { ClusterConfig, NodeId, Prng } from '@omnipaxos/core';
import type { Cluster } from './cluster.js';
import type { LinkFaults } from './link-matrix.js';
import { ReplayBuffer } from './replay-buffer.js';
import { type RunShape, toleratedDown } from './random-shape.js';

/** ELECTION is the election timeout (ticks) of the random runs; resends come every 4 of them. */
export const ELECTION = 5;

/** RandomCluster is the cluster a random run drives: string entries, snapshots as entry lists. */
export type RandomCluster = Cluster<string, string[]>;

/** FEATURES lists what a random run may exercise (`pnpm fuzz` counts the seeds that did each). */
export const FEATURES = [
  'reconfigure',
  'flexibleQuorum',
  'customIds',
  'evenSize',
  'oneWay',
  'longDelay',
  'tryBecomeLeader',
  'setPriority',
  'majorityCrash',
  'powerLoss',
  'inflightSurvivesCrash',
  'replay',
  'replayAfterRestart',
  'quiescentLiveness',
  'minorityDown',
  'deferred',
  'duplicates',
  'trim',
  'snapshot',
  'storageFailure',
  'partition',
  'crash',
] as const;

/** Feature names one thing a random run exercised. */
export type Feature = (typeof FEATURES)[number];

/**
 * FaultDriver plays one configuration's fault phase: each tick it may inject one fault drawn from
 * the run's shape — cuts (two-way or one-way), heals, lossy/duplicating/slow links, partitions,
 * crashes (a minority, or more when the shape allows; messages to the node may stay in flight),
 * restarts, failing writes, compaction, power loss, leader changes, replays of old messages, a
 * stop sign — and proposes at random servers. Everything it does is counted in `used`.
 */
export class FaultDriver {
  /** Servers that are down and will be restarted (by the driver or at healing). */
  readonly down = new Set<NodeId>();
  crashes = 0;
  storageFailures = 0;
  powerLosses = 0;
  private proposals = 0;
  /** Crashed servers to bring back at a given tick. */
  private readonly restartAt = new Map<NodeId, number>();
  private readonly replay: ReplayBuffer<string, string[]> | undefined;
  private readonly quorumSize: number;

  constructor(
    readonly c: RandomCluster,
    readonly shape: RunShape,
    readonly used: Set<Feature>,
    /** Prefix of this configuration's entries (entries are unique across a run). */
    readonly entryPrefix: string,
    /** The stop sign to propose at tick `at` of the fault phase, if this configuration reconfigures. */
    readonly stopSign: { at: number; next: ClusterConfig } | undefined,
  ) {
    this.quorumSize = c.nodes.length - toleratedDown(c.nodes.length, shape.flexibleQuorum);
    if (shape.replay) {
      // Without duplication every entry must be decided once: a replayed forward would propose it again.
      const eligible = (m: { kind: string; msg: { type: string } }): boolean => shape.duplicates || m.msg.type !== 'ProposalForward';
      const replay = new ReplayBuffer<string, string[]>(c.prng, eligible);
      c.tap = (m) => replay.observe(m);
      this.replay = replay;
    }
  }

  get prng(): Prng {
    return this.c.prng;
  }

  /** run plays `ticks` ticks of faults, checking the whole decided logs every 10 ticks. */
  run(ticks: number): void {
    for (let t = 0; t < ticks; t++) {
      this.step(t);
      if (t % 10 === 9) this.c.checkDecidedLogs();
    }
    this.c.checkDecidedLogs();
    this.noteDelivered();
  }

  /** noteDelivered counts the messages that outlived their receiver's crash (call at the end of a phase). */
  noteDelivered(): void {
    if (this.c.deliveredAfterRestart > 0) this.used.add('inflightSurvivesCrash');
  }

  private step(t: number): void {
    const { c, prng, shape } = this;
    const n = c.nodes.length;
    const r = prng.next();
    if (r < 0.02) {
      const [a, b] = [prng.pick(c.nodes), prng.pick(c.nodes)];
      if (a !== b) c.cut(a, b);
    } else if (r < 0.04) {
      const [a, b] = [prng.pick(c.nodes), prng.pick(c.nodes)];
      if (a !== b) c.heal(a, b);
    } else if (r < 0.045) {
      c.links.defaults = this.randomFaults();
    } else if (r < 0.05) {
      const a = prng.pick(c.nodes);
      for (const b of c.nodes) if (b !== a) c.links.setFaults(a, b, this.randomFaults());
    } else if (r < 0.056) {
      const limit = shape.majorityCrash ? n : n - this.quorumSize;
      if (this.down.size < limit && c.aliveNodes().length > 0) this.crash(prng.pick(c.aliveNodes()));
    } else if (r < 0.07 && this.down.size > 0) {
      this.restart(prng.pick([...this.down]));
    } else if (r < 0.074 && c.aliveNodes().length > 0) {
      c.storage(prng.pick(c.aliveNodes())).failNthWriteFromNow(prng.range(1, 5));
      this.storageFailures += 1;
      this.used.add('storageFailure');
    } else if (r < 0.076 && shape.compaction !== 'none') {
      this.compact();
    } else if (r < 0.078) {
      const ids = prng.shuffle([...c.nodes]);
      const cut = prng.range(1, n - 1);
      c.partition([ids.slice(0, cut), ids.slice(cut)]);
      this.used.add('partition');
    } else if (r < 0.088 && shape.durability === 'deferred') {
      // A power loss: every server crashes at once, losing what it had not flushed, and restarts.
      for (const pid of c.aliveNodes()) this.crash(pid);
      for (const pid of c.nodes) this.restart(pid);
      this.powerLosses += 1;
      this.used.add('powerLoss');
    } else if (r < 0.094 && shape.oneWay) {
      const [a, b] = [prng.pick(c.nodes), prng.pick(c.nodes)];
      if (a !== b) {
        c.cutOneWay(a, b);
        this.used.add('oneWay');
      }
    } else if (r < 0.098 && shape.leaderChanges) {
      if (c.tryBecomeLeader(prng.pick(c.nodes))) this.used.add('tryBecomeLeader');
    } else if (r < 0.1 && shape.leaderChanges) {
      if (c.setPriority(prng.pick(c.nodes), prng.range(0, 3))) this.used.add('setPriority');
    } else if (r < 0.13 && this.replay) {
      this.replayOne();
    }
    for (const [pid, at] of [...this.restartAt]) if (at <= c.now && this.down.has(pid)) this.restart(pid);
    if (this.stopSign && t === this.stopSign.at) this.proposeStopSign();
    if (prng.chance(0.3)) this.propose();
    c.tick();
    // A storage failure crashes a node: bring it back later like any crash.
    for (const pid of c.nodes) if (!c.isAlive(pid)) this.down.add(pid);
  }

  /** propose submits a fresh entry at a random server. */
  propose(): void {
    this.c.propose(this.prng.pick(this.c.nodes), `${this.entryPrefix}e${this.proposals++}`);
  }

  /** proposeStopSign submits this configuration's stop sign at a random live server. */
  proposeStopSign(): void {
    const alive = this.c.aliveNodes();
    if (this.stopSign && alive.length > 0) this.c.reconfigure(this.prng.pick(alive), this.stopSign.next);
  }

  /** crash takes `pid` down; by the shape's chance the messages in flight to it stay there. */
  crash(pid: NodeId): void {
    const { c, prng, shape } = this;
    const keepInflight = shape.inflightSurvivesCrash && prng.chance(0.5);
    c.crash(pid, { keepInflight });
    this.down.add(pid);
    // Messages outlive the crash only if the node is back before they are due: mostly come back soon.
    if (keepInflight && prng.chance(0.7)) this.restartAt.set(pid, c.now + prng.range(1, ELECTION));
    this.crashes += 1;
    this.used.add('crash');
    if (shape.durability === 'immediate' && c.aliveNodes().length < this.quorumSize) this.used.add('majorityCrash');
  }

  /** restart brings `pid` back from its storage. */
  restart(pid: NodeId): void {
    this.down.delete(pid);
    this.restartAt.delete(pid);
    this.c.restart(pid);
    const replay = this.replay;
    if (!replay) return;
    replay.restarted(pid);
    // The old copies a network still holds for this address reach the new incarnation, interleaved
    // with its recovery (PrepareReq, Prepare, Promise, AcceptSync take a few ticks).
    if (this.prng.chance(0.5)) {
      const old = replay.keptFor(pid);
      for (const m of old.slice(-3)) this.c.inject(m, this.prng.range(0, ELECTION));
      if (old.length > 0) this.used.add('replayAfterRestart');
    }
  }

  private replayOne(): void {
    const kept = this.replay?.pick();
    if (!kept) return;
    this.c.inject(kept.message, this.prng.range(0, 3 * ELECTION));
    this.used.add('replay');
    if (kept.afterRestart) this.used.add('replayAfterRestart');
  }

  /** compact makes a random live server trim (if it leads) or snapshot; refusals are expected. */
  private compact(): void {
    const alive = this.c.aliveNodes();
    if (alive.length === 0) return;
    const pid = this.prng.pick(alive);
    if (this.shape.compaction === 'trim') {
      if (this.c.trim(pid)) this.used.add('trim');
    } else if (this.c.snapshot(pid, undefined, this.prng.chance(0.5))) this.used.add('snapshot');
  }

  private randomFaults(): LinkFaults {
    const { prng, shape } = this;
    const long = shape.longDelay && prng.chance(0.3);
    if (long) this.used.add('longDelay');
    return {
      drop: prng.chance(0.5) ? prng.next() * 0.3 : 0,
      duplicate: shape.duplicates ? prng.next() * 0.2 : 0,
      minDelay: 0,
      // A long delay outlasts the election (5 ticks) and resend (20 ticks) timeouts.
      maxDelay: long ? prng.range(4 * ELECTION, 12 * ELECTION) : prng.chance(0.5) ? prng.range(0, 6) : 0,
    };
  }
}
