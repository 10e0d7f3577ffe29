import { type Ballot, ZERO_BALLOT, compareBallots, copyBallot } from '../ballot.js';
import type { LogSync } from '../messages.js';
import type { NodeId } from '../node-id.js';
import type { Quorum } from '../quorum.js';
import type { SequenceNumber } from '../sequence-number.js';

/** PromiseMeta is what a leader remembers of one promise: how up to date the promiser's log is. */
export interface PromiseMeta {
  pid: NodeId;
  nAccepted: Ballot;
  acceptedIdx: number;
  decidedIdx: number;
}

type PromiseState = { kind: 'NotPromised' } | { kind: 'Promised'; meta: PromiseMeta } | { kind: 'PromisedHigher' };

/** isMoreUpToDate orders promises by (accepted round, accepted index): the leader syncs from the max. */
export function isMoreUpToDate(a: PromiseMeta, b: PromiseMeta): boolean {
  const c = compareBallots(a.nAccepted, b.nAccepted);
  return c > 0 || (c === 0 && a.acceptedIdx > b.acceptedIdx);
}

/**
 * LeaderState is a leader's view of its followers for one ballot `nLeader`: who promised, how far
 * each has accepted, the sequence numbers of the accepts sent to each, and the most up-to-date
 * promise seen in the Prepare phase. Maps are keyed by pid (pids need not be 1..N).
 */
export class LeaderState<T, S> {
  readonly nLeader: Ballot;
  private readonly promises = new Map<NodeId, PromiseState>();
  private readonly seqNums = new Map<NodeId, SequenceNumber>();
  /** acceptedIdx[pid] is how far `pid` has accepted in this ballot (0 until known). */
  readonly acceptedIdx = new Map<NodeId, number>();
  /** Index in the outbox of the last AcceptDecide queued for a follower, to extend it in place. */
  private readonly latestAccept = new Map<NodeId, number>();
  private maxPromiseMeta: PromiseMeta;
  private maxPromiseSync: LogSync<T, S> | undefined;

  constructor(
    nLeader: Ballot,
    readonly nodes: readonly NodeId[],
    readonly quorum: Quorum,
  ) {
    this.nLeader = copyBallot(nLeader);
    for (const pid of nodes) {
      this.promises.set(pid, { kind: 'NotPromised' });
      this.seqNums.set(pid, { session: 0, counter: 0 });
      this.acceptedIdx.set(pid, 0);
    }
    this.maxPromiseMeta = { pid: 0, nAccepted: copyBallot(ZERO_BALLOT), acceptedIdx: 0, decidedIdx: 0 };
  }

  /** incrementSeqNumSession starts a new session of accepts to `pid` (at each AcceptSync). */
  incrementSeqNumSession(pid: NodeId): void {
    const s = this.seqNum(pid);
    s.session += 1;
    s.counter = 0;
  }

  /** nextSeqNum returns the sequence number for the next accept message to `pid`. */
  nextSeqNum(pid: NodeId): SequenceNumber {
    const s = this.seqNum(pid);
    s.counter += 1;
    return { session: s.session, counter: s.counter };
  }

  private seqNum(pid: NodeId): SequenceNumber {
    let s = this.seqNums.get(pid);
    if (!s) {
      s = { session: 0, counter: 0 };
      this.seqNums.set(pid, s);
    }
    return s;
  }

  /**
   * setPromise records a promise; when `trackMax` it also keeps the most up-to-date one and its log
   * sync. Returns whether a prepare quorum has now promised.
   */
  setPromise(meta: PromiseMeta, logSync: LogSync<T, S> | undefined, trackMax: boolean): boolean {
    if (!this.promises.has(meta.pid)) return false;
    if (trackMax && isMoreUpToDate(meta, this.maxPromiseMeta)) {
      this.maxPromiseMeta = meta;
      this.maxPromiseSync = logSync;
    }
    this.promises.set(meta.pid, { kind: 'Promised', meta });
    return this.quorum.isPrepareQuorum(this.countPromised());
  }

  private countPromised(): number {
    let n = 0;
    for (const p of this.promises.values()) if (p.kind === 'Promised') n += 1;
    return n;
  }

  /** resetPromise forgets `pid`'s promise (it asked to be prepared again). */
  resetPromise(pid: NodeId): void {
    if (this.promises.has(pid)) this.promises.set(pid, { kind: 'NotPromised' });
    this.latestAccept.delete(pid);
  }

  /** lostPromise marks that `pid` promised a higher ballot. */
  lostPromise(pid: NodeId): void {
    if (this.promises.has(pid)) this.promises.set(pid, { kind: 'PromisedHigher' });
    this.latestAccept.delete(pid);
  }

  /** takeMaxPromiseSync returns (once) the log sync of the most up-to-date promise. */
  takeMaxPromiseSync(): LogSync<T, S> | undefined {
    const s = this.maxPromiseSync;
    this.maxPromiseSync = undefined;
    return s;
  }

  /** getMaxPromiseMeta returns the most up-to-date promise seen. */
  getMaxPromiseMeta(): PromiseMeta {
    return this.maxPromiseMeta;
  }

  /** getMaxDecidedIdx returns the highest decided index among the promises. */
  getMaxDecidedIdx(): number {
    let max = 0;
    for (const p of this.promises.values()) if (p.kind === 'Promised' && p.meta.decidedIdx > max) max = p.meta.decidedIdx;
    return max;
  }

  /** getPromiseMeta returns `pid`'s promise, if it promised. */
  getPromiseMeta(pid: NodeId): PromiseMeta | undefined {
    const p = this.promises.get(pid);
    return p?.kind === 'Promised' ? p.meta : undefined;
  }

  /** getPromisedFollowers lists the followers that promised this ballot. */
  getPromisedFollowers(): NodeId[] {
    const out: NodeId[] = [];
    for (const [pid, p] of this.promises) if (p.kind === 'Promised' && pid !== this.nLeader.pid) out.push(pid);
    return out;
  }

  /** getPreparablePeers lists the peers that have not promised and should get a Prepare. */
  getPreparablePeers(peers: readonly NodeId[]): NodeId[] {
    return peers.filter((pid) => this.promises.get(pid)?.kind === 'NotPromised');
  }

  /** getMinAllAcceptedIdx is the index every server has accepted up to: the limit for trimming. */
  getMinAllAcceptedIdx(): number {
    let min = Infinity;
    for (const v of this.acceptedIdx.values()) if (v < min) min = v;
    return min === Infinity ? 0 : min;
  }

  /**
   * setAcceptedIdx records how far `pid` has accepted. It never goes down: within one ballot a
   * follower's log only grows, so a smaller index is an old Accepted the network delivered late.
   */
  setAcceptedIdx(pid: NodeId, idx: number): void {
    const known = this.acceptedIdx.get(pid);
    if (known !== undefined && idx > known) this.acceptedIdx.set(pid, idx);
  }

  /** isChosen is true when an accept quorum has accepted up to `idx`. */
  isChosen(idx: number): boolean {
    let n = 0;
    for (const v of this.acceptedIdx.values()) if (v >= idx) n += 1;
    return this.quorum.isAcceptQuorum(n);
  }

  /** maxChosenIdx is the highest index an accept quorum has accepted up to (0 if none). */
  maxChosenIdx(): number {
    let best = 0;
    for (const v of this.acceptedIdx.values()) if (v > best && this.isChosen(v)) best = v;
    return best;
  }

  /** latestAcceptIndex returns the outbox position of the last AcceptDecide to `pid`, if still there. */
  latestAcceptIndex(pid: NodeId): number | undefined {
    return this.latestAccept.get(pid);
  }

  /** setLatestAcceptIndex records (or clears) the outbox position of the last AcceptDecide to `pid`. */
  setLatestAcceptIndex(pid: NodeId, idx: number | undefined): void {
    if (idx === undefined) this.latestAccept.delete(pid);
    else this.latestAccept.set(pid, idx);
  }

  /** resetLatestAccepts forgets outbox positions (the outbox was drained). */
  resetLatestAccepts(): void {
    this.latestAccept.clear();
  }
}
