import { type Ballot, copyBallot } from './ballot.js';
import { BallotLeaderElection } from './ble/ballot-leader-election.js';
import { type ClusterConfig, type OmniPaxosConfig, type ResolvedServerConfig, resolveServerConfig } from './config.js';
import { ConfigError } from './errors.js';
import type { LogEntry, SnapshotLogic, StopSign } from './log-entry.js';
import type { Logger } from './logger.js';
import { LogicalClock } from './logical-clock.js';
import type { Message } from './messages.js';
import type { NodeId } from './node-id.js';
import type { PaxosStatus } from './roles.js';
import type { PersistMark } from './sequence-paxos/pipelining.js';
import { SequencePaxos } from './sequence-paxos/sequence-paxos.js';
import type { Storage } from './storage/storage.js';

/** OmniPaxosOptions are the optional collaborators of a replica. */
export interface OmniPaxosOptions<T, S> {
  /** Snapshot logic, needed for `snapshot()` and for catching up servers from snapshots. */
  snapshot?: SnapshotLogic<T, S>;
  /** Receives diagnostics; the replica never prints. */
  logger?: Logger;
  /**
   * The leader counts its own writes toward a quorum only once `persisted(mark)` says they are
   * durable, so the driver may send AcceptDecide and Decide before its own flush (see
   * `SequencePaxosConfig.deferLeaderAccept`). Default false.
   */
  deferLeaderAccept?: boolean;
  /**
   * The encoded size of an entry in bytes, which `maxSyncBytes` bounds; default `estimateSize` (a
   * structural estimate of plain data). Give your own when entries are large and cheap to measure.
   */
  sizeOf?: (entry: T) => number;
}

/**
 * OmniPaxos is one replica: Ballot Leader Election and Sequence Paxos composed on logical clocks.
 * It is sans-IO: feed it `tick()` and `handleIncoming()`, drain `takeOutgoingMessages()`, and (for
 * durability) await `storage.flush()` before sending what you drained.
 *
 * Constructing it on a storage that holds a promise is crash recovery: the replica resyncs with its
 * peers before it serves again, and keeps every entry it had decided.
 */
export class OmniPaxos<T, S = never> {
  private readonly config: ResolvedServerConfig;
  private readonly clusterConfig: ClusterConfig;
  private readonly seqPaxos: SequencePaxos<T, S>;
  private readonly ble: BallotLeaderElection;
  private readonly electionClock: LogicalClock;
  private readonly resendClock: LogicalClock;
  private readonly flushBatchClock: LogicalClock;

  /** Throws ConfigError on an invalid config, StorageError when the storage cannot be read. */
  constructor(config: OmniPaxosConfig, storage: Storage<T, S>, options: OmniPaxosOptions<T, S> = {}) {
    this.config = resolveServerConfig(config);
    const cc = config.clusterConfig;
    this.clusterConfig = { configurationId: cc.configurationId, nodes: [...cc.nodes] };
    if (cc.flexibleQuorum) this.clusterConfig.flexibleQuorum = { ...cc.flexibleQuorum };
    const { pid } = this.config;
    this.seqPaxos = new SequencePaxos<T, S>(
      {
        configurationId: cc.configurationId,
        pid,
        nodes: cc.nodes,
        ...(cc.flexibleQuorum ? { flexibleQuorum: cc.flexibleQuorum } : {}),
        batchSize: this.config.batchSize,
        bufferSize: this.config.bufferSize,
        maxSyncEntries: this.config.maxSyncEntries,
        maxSyncBytes: this.config.maxSyncBytes,
        ...(options.deferLeaderAccept === true ? { deferLeaderAccept: true } : {}),
      },
      storage,
      { snapshot: options.snapshot, logger: options.logger, sizeOf: options.sizeOf },
    );
    const promise = this.seqPaxos.getPromise();
    this.ble = new BallotLeaderElection(
      {
        configurationId: cc.configurationId,
        pid,
        peers: cc.nodes.filter((p) => p !== pid),
        priority: this.config.leaderPriority,
        ...(cc.flexibleQuorum ? { flexibleQuorum: cc.flexibleQuorum } : {}),
      },
      promise.n > 0 ? promise : undefined,
    );
    this.electionClock = new LogicalClock(this.config.electionTickTimeout);
    this.resendClock = new LogicalClock(this.config.resendMessageTickTimeout);
    this.flushBatchClock = new LogicalClock(this.config.flushBatchTickTimeout);
    // A server alone in its configuration has nobody to hear from: it leads from the start.
    const alone = this.ble.electAlone(this.seqPaxos.getStatus());
    if (alone) this.seqPaxos.handleLeader(alone);
  }

  /** pid is this server's id. */
  get pid(): NodeId {
    return this.config.pid;
  }

  /** getClusterConfig returns the configuration this replica runs in. */
  getClusterConfig(): ClusterConfig {
    return { ...this.clusterConfig, nodes: [...this.clusterConfig.nodes] };
  }

  /** append proposes an entry. Throws ProposeError (carrying the entry) when it cannot be taken. */
  append(entry: T): void {
    this.seqPaxos.append(entry);
  }

  /** reconfigure proposes a stop sign naming the next configuration. */
  reconfigure(next: ClusterConfig, metadata?: Uint8Array): void {
    this.seqPaxos.reconfigure(next, metadata);
  }

  /** tick advances the logical clocks: heartbeat rounds, resends and batch flushes run from here. */
  tick(): void {
    if (this.electionClock.tick()) this.electionTimeout();
    if (this.resendClock.tick()) this.seqPaxos.resendMessageTimeout();
    if (this.flushBatchClock.tick()) this.seqPaxos.flushBatchTimeout();
  }

  private electionTimeout(): void {
    const ballot = this.ble.hbTimeout(this.seqPaxos.getStatus());
    if (ballot) this.seqPaxos.handleLeader(ballot);
  }

  /** handleIncoming takes a message from a peer; messages not addressed to this server are ignored. */
  handleIncoming(message: Message<T, S>): void {
    // Each half checks the message's structure (validateMessage) before it touches any state.
    if (typeof message !== 'object' || message === null || message.to !== this.config.pid) return;
    if (message.kind === 'SequencePaxos') this.seqPaxos.handle(message);
    else if (message.kind === 'BLE') this.ble.handle(message);
  }

  /** persistMark records how far the leader's log reaches, to hand to `persisted` after a flush. */
  persistMark(): PersistMark | undefined {
    return this.seqPaxos.persistMark();
  }

  /** persisted reports the leader's log durable up to `mark` (with `deferLeaderAccept`); it may decide entries. */
  persisted(mark: PersistMark | undefined): void {
    this.seqPaxos.persisted(mark);
  }

  /** takeOutgoingMessages drains the messages to send. */
  takeOutgoingMessages(): Message<T, S>[] {
    const out: Message<T, S>[] = this.seqPaxos.takeOutgoingMessages();
    for (const m of this.ble.takeOutgoingMessages()) out.push(m);
    return out;
  }

  /** getDecidedIdx returns the decided index: every entry before it is decided. */
  getDecidedIdx(): number {
    return this.seqPaxos.getDecidedIdx();
  }

  /** getAcceptedIdx returns the end of this replica's accepted log. */
  getAcceptedIdx(): number {
    return this.seqPaxos.getAcceptedIdx();
  }

  /** getCompactedIdx returns the index before which the log is trimmed or snapshotted. */
  getCompactedIdx(): number {
    return this.seqPaxos.getCompactedIdx();
  }

  /** read returns the log entry at `idx`, or undefined past the end. */
  read(idx: number): LogEntry<T, S> | undefined {
    return this.seqPaxos.read(idx);
  }

  /** readEntries returns the log entries in [from, to), or undefined if the range is not in the log. */
  readEntries(from: number, to: number): LogEntry<T, S>[] | undefined {
    return this.seqPaxos.readEntries(from, to);
  }

  /** readDecidedSuffix returns the decided entries from `from` on, or undefined if none. */
  readDecidedSuffix(from: number): LogEntry<T, S>[] | undefined {
    return this.seqPaxos.readDecidedSuffix(from);
  }

  /** getCurrentLeader returns the leader this server follows and whether it reached the Accept phase. */
  getCurrentLeader(): { pid: NodeId; accepted: boolean } | undefined {
    return this.seqPaxos.getCurrentLeader();
  }

  /** getPromise returns the highest ballot this server promised. */
  getPromise(): Ballot {
    return this.seqPaxos.getPromise();
  }

  /** getStatus returns this server's role, phase and promise. */
  getStatus(): PaxosStatus {
    return this.seqPaxos.getStatus();
  }

  /** isReconfigured returns the decided stop sign, once this configuration has ended. */
  isReconfigured(): StopSign | undefined {
    return this.seqPaxos.isReconfigured();
  }

  /** trim removes the prefix every server accepted (leader only; followers follow). */
  trim(idx?: number): void {
    this.seqPaxos.trim(idx);
  }

  /** snapshot compacts the decided prefix up to `idx` (default: all decided) into a snapshot. */
  snapshot(idx: number | undefined, localOnly: boolean): void {
    this.seqPaxos.snapshot(idx, localOnly);
  }

  /** reconnected tells the replica that the session to `pid` was re-established. */
  reconnected(pid: NodeId): void {
    this.seqPaxos.reconnected(pid);
  }

  /** tryBecomeLeader makes this server take over with a ballot above its promise. */
  tryBecomeLeader(): void {
    const ballot = this.ble.getCurrentBallot();
    ballot.n = this.seqPaxos.getPromise().n + 1;
    this.seqPaxos.handleLeader(copyBallot(ballot));
  }

  /** setPriority sets this server's leader priority for its future ballots; throws ConfigError unless an integer >= 0. */
  setPriority(priority: number): void {
    if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 0) {
      throw new ConfigError(`leaderPriority must be an integer >= 0, got ${String(priority)}`);
    }
    this.ble.setPriority(priority);
  }

  /** getFailure returns the storage or invariant error that stopped this replica, if any. */
  getFailure(): Error | undefined {
    return this.seqPaxos.getFailure();
  }
}
