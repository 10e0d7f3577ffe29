import { type Ballot, ZERO_BALLOT, ballotEquals, compareBallots, copyBallot } from '../ballot.js';
import { type ClusterConfig, peersOf, validateClusterConfig } from '../config.js';
import { CompactionError, ConfigError, InvariantError, ProposeError, StorageError } from '../errors.js';
import type { LogEntry, SnapshotLogic, StopSign } from '../log-entry.js';
import type { Logger } from '../logger.js';
import type { LogSync, PaxosMessage, PaxosMsg } from '../messages.js';
import type { NodeId } from '../node-id.js';
import { Quorum } from '../quorum.js';
import type { PaxosStatus, Phase, Role } from '../roles.js';
import type { SequenceNumber } from '../sequence-number.js';
import { InternalStorage } from '../storage/internal-storage.js';
import { readDecidedSuffix, readLog } from '../storage/log-reader.js';
import type { Storage } from '../storage/storage.js';
import { validateMessage } from '../validate-message.js';
import { SERVER_DEFAULTS } from '../config.js';
import { estimateSize } from '../entry-size.js';
import { handleCatchUp, handleCatchUpRequest } from './catch-up.js';
import type { SyncBounds } from './sync-bounds.js';
import type { PersistMark } from './pipelining.js';
import * as follower from './follower.js';
import * as leader from './leader.js';
import { LeaderState } from './leader-state.js';

/** SequencePaxosConfig is what Sequence Paxos needs of the replica's configuration. */
export interface SequencePaxosConfig {
  configurationId: number;
  pid: NodeId;
  nodes: NodeId[];
  flexibleQuorum?: ClusterConfig['flexibleQuorum'];
  batchSize?: number;
  bufferSize?: number;
  /**
   * When true, the leader counts its own log toward an accept quorum only up to what the driver
   * confirmed durable with `persisted(mark)`. The driver may then send AcceptDecide and Decide before
   * its own flush: the leader writes in parallel with its followers, and every decision still rests
   * on a quorum of flushed copies. Default false: the leader counts what it wrote at once, and the
   * driver must flush before it sends anything.
   */
  deferLeaderAccept?: boolean;
  /** Most entries in one log sync or catch-up message (default SERVER_DEFAULTS.maxSyncEntries). */
  maxSyncEntries?: number;
  /** Most bytes, by `sizeOf`, in one log sync or catch-up message (default SERVER_DEFAULTS.maxSyncBytes). */
  maxSyncBytes?: number;
}

/** SequencePaxosOptions are the optional collaborators: snapshot logic, a logger and an entry size. */
export interface SequencePaxosOptions<T, S> {
  snapshot?: SnapshotLogic<T, S> | undefined;
  logger?: Logger | undefined;
  /** The encoded size of an entry in bytes, for `maxSyncBytes`; default `estimateSize`. */
  sizeOf?: ((entry: T) => number) | undefined;
}

/**
 * SequencePaxos replicates the log under the leader that leader election hands it (`handleLeader`).
 * It never does I/O: it writes to its Storage synchronously and queues messages, which the driver
 * drains with `takeOutgoingMessages()` (after `storage.flush()` for durability) and sends.
 *
 * After a StorageError or InvariantError the instance refuses all further work: rebuild it from its
 * storage, which is exactly crash recovery.
 */
export class SequencePaxos<T, S = never> {
  /** @internal */ readonly pid: NodeId;
  /** @internal */ readonly peers: NodeId[];
  /** @internal */ readonly nodes: NodeId[];
  /** @internal */ readonly configurationId: number;
  /** @internal */ readonly quorum: Quorum;
  /** @internal */ readonly st: InternalStorage<T, S>;
  /** @internal */ readonly bufferSize: number;
  /** @internal */ readonly logger: Logger | undefined;
  /** @internal */ role: Role = 'Follower';
  /** @internal */ phase: Phase = 'None';
  /** @internal */ bufferedProposals: T[] = [];
  /** @internal */ bufferedStopSign: StopSign | undefined;
  /** @internal */ outgoing: PaxosMessage<T, S>[] = [];
  /** @internal */ leaderState: LeaderState<T, S>;
  /** @internal Outbox position of the last Accepted queued, for the ballot it answers. */
  latestAccepted: { n: Ballot; idx: number } | undefined;
  /** @internal */ currentSeqNum: SequenceNumber = { session: 0, counter: 0 };
  /** @internal */ cachedPromise: Extract<PaxosMsg<T, S>, { type: 'Promise' }> | undefined;
  /** @internal Highest AcceptSync session applied under the current promise. */
  lastSyncSession = 0;
  /** @internal True from a new Prepare round until the next resend timeout, which then skips Prepares. */
  preparesJustSent = false;
  /** @internal Highest ballot a peer answered our leadership with NotAccepted. */
  rejectedBy: Ballot | undefined;
  /** @internal The leader counts its own accepts only through `persisted` (see SequencePaxosConfig). */
  readonly deferLeaderAccept: boolean;
  /** @internal What one log sync or catch-up message may hold. */
  readonly syncBounds: SyncBounds<T>;
  private failure: Error | undefined;

  constructor(config: SequencePaxosConfig, storage: Storage<T, S>, options: SequencePaxosOptions<T, S> = {}) {
    validateClusterConfig({ configurationId: config.configurationId, nodes: config.nodes });
    if (!config.nodes.includes(config.pid)) throw new ConfigError(`pid ${config.pid} is not among the nodes`);
    this.pid = config.pid;
    this.nodes = [...config.nodes];
    this.peers = peersOf(this.nodes, this.pid);
    this.configurationId = config.configurationId;
    this.quorum = new Quorum(this.nodes.length, config.flexibleQuorum);
    this.bufferSize = config.bufferSize ?? 100_000;
    this.deferLeaderAccept = config.deferLeaderAccept ?? false;
    this.logger = options.logger;
    this.syncBounds = {
      maxEntries: positiveOr(config.maxSyncEntries, SERVER_DEFAULTS.maxSyncEntries, 'maxSyncEntries'),
      maxBytes: positiveOr(config.maxSyncBytes, SERVER_DEFAULTS.maxSyncBytes, 'maxSyncBytes'),
      sizeOf: options.sizeOf ?? estimateSize,
    };
    this.st = new InternalStorage<T, S>(storage, config.batchSize ?? 1, options.snapshot);
    this.leaderState = new LeaderState<T, S>(ZERO_BALLOT, this.nodes, this.quorum);
    const recovered = this.st.promise;
    if (recovered.n > 0 || recovered.pid > 0) {
      // A stored promise means we crashed: ask the peers who leads, and resync before serving.
      this.phase = 'Recover';
      this.leaderState = new LeaderState<T, S>(recovered, this.nodes, this.quorum);
      for (const to of this.peers) this.send(to, { type: 'PrepareReq', n: copyBallot(recovered) });
      this.logger?.info('recovering from storage', { pid: this.pid, promise: recovered });
    }
  }

  /** @internal send queues a message to `to`. */
  send(to: NodeId, msg: PaxosMsg<T, S>): void {
    this.outgoing.push({ kind: 'SequencePaxos', from: this.pid, to, msg });
  }

  /** guard runs a state change; a storage or invariant failure poisons the instance. */
  private guard<R>(fn: () => R): R {
    if (this.failure) throw this.failure;
    try {
      return fn();
    } catch (err) {
      if (err instanceof StorageError || err instanceof InvariantError) {
        this.failure = err;
        this.logger?.error('replica stopped', { pid: this.pid, error: err.message });
      }
      throw err;
    }
  }

  /** getFailure returns the error that stopped this instance, if any. */
  getFailure(): Error | undefined {
    return this.failure;
  }

  /** handleLeader takes a ballot from leader election: lead with it if it is ours, else follow. */
  handleLeader(n: Ballot): void {
    this.guard(() => leader.handleLeader(this, n));
  }

  /** handle takes one Sequence Paxos message; messages for others or other configurations are ignored. */
  handle(m: PaxosMessage<T, S>): void {
    if (!validateMessage(m) || m.kind !== 'SequencePaxos' || m.to !== this.pid || !this.peers.includes(m.from)) return;
    const msg = m.msg;
    if ('n' in msg && msg.type !== 'PrepareReq' && msg.n.configId !== this.configurationId) return;
    this.guard(() => this.dispatch(m.from, msg));
  }

  private dispatch(from: NodeId, msg: PaxosMsg<T, S>): void {
    switch (msg.type) {
      case 'PrepareReq':
        return leader.handlePrepareReq(this, from, msg.n);
      case 'Prepare':
        return follower.handlePrepare(this, from, msg);
      case 'Promise':
        if (this.role !== 'Leader') return;
        if (this.phase === 'Prepare') return leader.handlePromisePrepare(this, from, msg);
        if (this.phase === 'Accept') return leader.handlePromiseAccept(this, from, msg);
        return;
      case 'AcceptSync':
        return follower.handleAcceptSync(this, from, msg);
      case 'AcceptDecide':
        return follower.handleAcceptDecide(this, msg);
      case 'Accepted':
        return leader.handleAccepted(this, from, msg);
      case 'NotAccepted':
        return leader.handleNotAccepted(this, from, msg.n);
      case 'Decide':
        return follower.handleDecide(this, msg);
      case 'ProposalForward':
        if (Array.isArray(msg.entries)) leader.handleForwardedProposal(this, msg.entries);
        return;
      case 'Compaction':
        return this.handleCompaction(msg.compaction);
      case 'AcceptStopSign':
        return follower.handleAcceptStopSign(this, msg);
      case 'ForwardStopSign':
        return leader.handleForwardedStopSign(this, msg.stopSign);
      case 'CatchUpRequest':
        return handleCatchUpRequest(this, from, msg);
      case 'CatchUp':
        return handleCatchUp(this, from, msg);
      default:
        return;
    }
  }

  /** takeOutgoingMessages drains the outbox. */
  takeOutgoingMessages(): PaxosMessage<T, S>[] {
    const out = this.outgoing;
    this.outgoing = [];
    this.leaderState.resetLatestAccepts();
    this.latestAccepted = undefined;
    return out;
  }

  /**
   * persistMark records how far the leader's log reaches now (undefined unless leading in the Accept
   * phase). A driver takes it together with the outgoing messages, flushes, and then hands it to
   * `persisted`. Only meaningful with `deferLeaderAccept`.
   */
  persistMark(): PersistMark | undefined {
    if (this.role !== 'Leader' || this.phase !== 'Accept') return undefined;
    return { n: copyBallot(this.leaderState.nLeader), idx: this.st.acceptedIdx };
  }

  /**
   * persisted tells the leader that its log up to `mark.idx` is durable: it now counts those entries
   * toward the quorum, and decides what a quorum holds. A mark from an earlier ballot is ignored.
   */
  persisted(mark: PersistMark | undefined): void {
    if (mark === undefined || !this.deferLeaderAccept) return;
    this.guard(() => leader.handlePersisted(this, mark));
  }

  /** append proposes an entry; it is forwarded to the leader or buffered until one is known. */
  append(entry: T): void {
    this.guard(() => {
      if (this.st.stopSign) throw new ProposeError('PendingReconfig', entry);
      if (this.role === 'Leader' && this.phase === 'Accept') return leader.acceptEntriesLeader(this, [entry]);
      if (this.role === 'Leader' && this.phase === 'Prepare') return this.bufferProposals([entry]);
      return this.forwardProposals([entry]);
    });
  }

  /** reconfigure proposes a stop sign that ends this configuration and names the next one. */
  reconfigure(next: ClusterConfig, metadata?: Uint8Array): void {
    this.guard(() => {
      validateClusterConfig(next);
      if (next.configurationId <= this.configurationId) {
        throw new ConfigError(
          `the next configurationId must be greater than ${this.configurationId}, got ${next.configurationId}`,
        );
      }
      const nextConfig: ClusterConfig = { configurationId: next.configurationId, nodes: [...next.nodes] };
      if (next.flexibleQuorum) nextConfig.flexibleQuorum = { ...next.flexibleQuorum };
      if (this.st.stopSign) throw new ProposeError<T>('PendingReconfig', undefined, nextConfig);
      const ss: StopSign = metadata ? { nextConfig, metadata: metadata.slice() } : { nextConfig };
      if (this.role === 'Leader' && this.phase === 'Prepare') this.bufferedStopSign = ss;
      else if (this.role === 'Leader' && this.phase === 'Accept') leader.acceptStopSignLeader(this, ss);
      else this.forwardStopSign(ss);
    });
  }

  /**
   * @internal bufferProposals holds proposals until a leader takes them, within bufferSize. A local
   * `append` that does not fit throws BufferFull; proposals forwarded by a peer that do not fit are
   * dropped (forwarding is best-effort, proposers re-propose), so a peer can never make us throw.
   */
  bufferProposals(entries: T[], origin: 'local' | 'peer' = 'local'): void {
    const room = this.bufferSize - this.bufferedProposals.length;
    if (entries.length > room) {
      if (origin === 'local') throw new ProposeError('BufferFull', entries.length === 1 ? entries[0] : undefined);
      this.logger?.warn('proposal buffer full: dropping forwarded proposals', { pid: this.pid, dropped: entries.length - Math.max(0, room) });
    }
    const take = Math.min(entries.length, Math.max(0, room));
    for (let i = 0; i < take; i++) this.bufferedProposals.push(entries[i] as T);
  }

  /** @internal forwardProposals sends proposals to the leader, or buffers them if none is known. */
  forwardProposals(entries: T[], origin: 'local' | 'peer' = 'local'): void {
    const leaderPid = this.st.promise.pid;
    if (leaderPid > 0 && leaderPid !== this.pid) this.send(leaderPid, { type: 'ProposalForward', entries });
    else this.bufferProposals(entries, origin);
  }

  /** @internal forwardStopSign sends a stop sign to the leader, or holds it if none is known. */
  forwardStopSign(ss: StopSign): void {
    const leaderPid = this.st.promise.pid;
    if (leaderPid > 0 && leaderPid !== this.pid) this.send(leaderPid, { type: 'ForwardStopSign', stopSign: ss });
    else if (!this.bufferedStopSign) this.bufferedStopSign = ss;
  }

  /** resendMessageTimeout resends what may have been lost (Prepare, Promise, PrepareReq, stop sign). */
  resendMessageTimeout(): void {
    this.guard(() => {
      if (this.role === 'Leader') leader.resendMessagesLeader(this);
      else follower.resendMessagesFollower(this);
    });
  }

  /** flushBatchTimeout writes and sends a partial batch. */
  flushBatchTimeout(): void {
    this.guard(() => {
      if (this.phase !== 'Accept') return;
      if (this.role === 'Leader') leader.flushBatchLeader(this);
      else follower.flushBatchFollower(this);
    });
  }

  /** reconnected is called when the session to `pid` was re-established: resync with it. */
  reconnected(pid: NodeId): void {
    this.guard(() => this.reconnectedUnguarded(pid));
  }

  /** @internal reconnectedUnguarded asks `pid` to prepare us; if it is our leader we recover first. */
  reconnectedUnguarded(pid: NodeId): void {
    if (pid === this.pid || !this.peers.includes(pid)) return;
    if (pid === this.st.promise.pid) {
      this.role = 'Follower';
      this.phase = 'Recover';
    }
    this.send(pid, { type: 'PrepareReq', n: copyBallot(this.st.promise) });
  }

  /** trim removes the log prefix that every server has accepted (leader only). */
  trim(idx?: number): void {
    this.guard(() => {
      if (this.role !== 'Leader') throw new CompactionError('NotCurrentLeader', undefined, this.st.promise.pid);
      const minAll = this.leaderState.getMinAllAcceptedIdx();
      const target = idx ?? minAll;
      if (target > minAll) throw new CompactionError('NotAllDecided', minAll);
      this.st.tryTrim(target);
      for (const to of this.peers) this.send(to, { type: 'Compaction', compaction: { kind: 'Trim', idx: target } });
    });
  }

  /** snapshot compacts the decided prefix into a snapshot; unless `localOnly`, asks the peers too. */
  snapshot(idx: number | undefined, localOnly: boolean): void {
    this.guard(() => {
      if (!this.st.usesSnapshots) throw new ConfigError('snapshot() needs the snapshot option (SnapshotLogic)');
      this.st.trySnapshot(idx);
      if (!localOnly) {
        const compaction = idx === undefined ? { kind: 'Snapshot' as const } : { kind: 'Snapshot' as const, idx };
        for (const to of this.peers) this.send(to, { type: 'Compaction', compaction });
      }
    });
  }

  private handleCompaction(c: unknown): void {
    if (typeof c !== 'object' || c === null) return;
    const compaction = c as { kind?: unknown; idx?: unknown };
    try {
      if (compaction.kind === 'Trim' && typeof compaction.idx === 'number') this.st.tryTrim(compaction.idx);
      else if (compaction.kind === 'Snapshot' && this.st.usesSnapshots) {
        this.st.trySnapshot(typeof compaction.idx === 'number' ? compaction.idx : undefined);
      }
    } catch (err) {
      // A follower behind the leader cannot compact yet; it keeps its entries, which is always safe.
      if (!(err instanceof CompactionError)) throw err;
    }
  }

  /**
   * @internal restartPrepare forgets every promise collected for our ballot (our log changed under
   * them) and counts only our own again; the caller asks the peers for fresh ones.
   */
  restartPrepare(): void {
    this.leaderState = new LeaderState<T, S>(this.leaderState.nLeader, this.nodes, this.quorum);
    const st = this.st;
    this.leaderState.setPromise(
      { pid: this.pid, nAccepted: copyBallot(st.acceptedRound), acceptedIdx: st.acceptedIdx, decidedIdx: st.decidedIdx },
      undefined,
      true,
    );
  }

  /** @internal sendPrepareTo queues our Prepare to `to` again (a leader that caught up from it). */
  sendPrepareTo(to: NodeId): void {
    leader.sendPrepare(this, to);
  }

  /** @internal createLogSync builds the log sync for a log that agrees with ours up to `commonPrefixIdx`. */
  createLogSync(commonPrefixIdx: number, otherDecidedIdx: number): LogSync<T, S> {
    return leader.createLogSync(this, commonPrefixIdx, otherDecidedIdx);
  }

  /** getStatus tells leader election our role, phase and promise. */
  getStatus(): PaxosStatus {
    const status: PaxosStatus = { role: this.role, phase: this.phase, promise: copyBallot(this.st.promise) };
    if (this.rejectedBy && this.role === 'Leader') status.rejectedBy = copyBallot(this.rejectedBy);
    return status;
  }

  /** getPromise returns the highest ballot promised. */
  getPromise(): Ballot {
    return copyBallot(this.st.promise);
  }

  /** getDecidedIdx returns the decided index: entries before it are decided. */
  getDecidedIdx(): number {
    return this.st.decidedIdx;
  }

  /** getAcceptedIdx returns the end of the accepted log (stop sign included). */
  getAcceptedIdx(): number {
    return this.st.acceptedIdx;
  }

  /** getCompactedIdx returns the index before which the log is trimmed or snapshotted. */
  getCompactedIdx(): number {
    return this.st.compactedIdx;
  }

  /** getCurrentLeader returns the leader this server promised (not while recovering), and whether it reached the Accept phase. */
  getCurrentLeader(): { pid: NodeId; accepted: boolean } | undefined {
    const pid = this.st.promise.pid;
    // While recovering, the stored promise may be our own ballot from before the crash: we do not
    // know who leads until a leader prepares us.
    if (pid === 0 || this.phase === 'Recover') return undefined;
    return { pid, accepted: this.phase === 'Accept' };
  }

  /** isReconfigured returns the stop sign once it is decided. */
  isReconfigured(): StopSign | undefined {
    return this.st.stopSignIsDecided() ? this.st.stopSign : undefined;
  }

  /** read returns the entry at `idx`. */
  read(idx: number): LogEntry<T, S> | undefined {
    return readLog(this.st, idx, idx + 1)?.[0];
  }

  /** readEntries returns the entries in [from, to). */
  readEntries(from: number, to: number): LogEntry<T, S>[] | undefined {
    return readLog(this.st, from, to);
  }

  /** readDecidedSuffix returns the decided entries from `from` on. */
  readDecidedSuffix(from: number): LogEntry<T, S>[] | undefined {
    return readDecidedSuffix(this.st, from);
  }

  /** @internal isCurrentBallot is true when `n` is the ballot this server promised. */
  isPromised(n: Ballot): boolean {
    return ballotEquals(n, this.st.promise);
  }

  /** @internal comparePromise compares `n` with our promise. */
  comparePromise(n: Ballot): number {
    return compareBallots(n, this.st.promise);
  }
}

function positiveOr(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}
