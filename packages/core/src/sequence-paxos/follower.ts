import { type Ballot, ballotEquals, compareBallots, copyBallot } from '../ballot.js';
import type { PaxosMsg } from '../messages.js';
import type { NodeId } from '../node-id.js';
import { type SequenceNumber, checkSequence } from '../sequence-number.js';
import { catchUpInsteadOfSync } from './catch-up.js';
import type { SequencePaxos } from './sequence-paxos.js';

type Msg<T, S, K extends PaxosMsg<T, S>['type']> = Extract<PaxosMsg<T, S>, { type: K }>;

/**
 * handlePrepare promises a higher ballot, or the one we promised again, and tells the leader how up
 * to date our log is, sending the part it lacks when ours is more up to date.
 *
 * Re-promising the same ballot goes beyond the Rust original (which does it only while recovering):
 * a leader that lost track of our promise (e.g. a duplicated PrepareReq reset it) sends Prepare
 * again and would otherwise never send us accepts. Answering restarts our sync with that leader,
 * which is always safe.
 */
export function handlePrepare<T, S>(sp: SequencePaxos<T, S>, from: NodeId, prep: Msg<T, S, 'Prepare'>): void {
  const c = sp.comparePromise(prep.n);
  if (c < 0) {
    // Tell an older leader it is behind, so it can take a ballot above ours (see PaxosStatus.rejectedBy).
    sp.send(from, { type: 'NotAccepted', n: sp.getPromise() });
    return;
  }
  if (c === 0 && prep.n.pid === sp.pid) return;
  if (c > 0) sp.lastSyncSession = 0;
  sp.st.flushBatch();
  sp.st.setPromise(prep.n);
  sp.role = 'Follower';
  sp.phase = 'Prepare';
  sp.currentSeqNum = { session: 0, counter: 0 };
  const na = sp.st.acceptedRound;
  const acceptedIdx = sp.st.acceptedIdx;
  const roundOrder = compareBallots(na, prep.nAccepted);
  const promise: Msg<T, S, 'Promise'> = {
    type: 'Promise',
    n: copyBallot(prep.n),
    nAccepted: copyBallot(na),
    decidedIdx: sp.st.decidedIdx,
    acceptedIdx,
  };
  // We accepted in a later round: the leader needs everything after its decided index. Same round,
  // longer log: it needs what follows its accepted index.
  const syncFrom = roundOrder > 0 ? prep.decidedIdx : roundOrder === 0 && acceptedIdx > prep.acceptedIdx ? prep.acceptedIdx : undefined;
  if (syncFrom !== undefined) {
    // Too much for one message: the leader first catches up our decided entries, then prepares us again.
    if (catchUpInsteadOfSync(sp, from, syncFrom, prep.decidedIdx)) {
      sp.cachedPromise = undefined;
      return;
    }
    promise.logSync = sp.createLogSync(syncFrom, prep.decidedIdx);
  }
  sp.cachedPromise = promise;
  sp.send(from, promise);
}

/** handleAcceptSync adopts the leader's log and enters the Accept phase. */
export function handleAcceptSync<T, S>(sp: SequencePaxos<T, S>, from: NodeId, acc: Msg<T, S, 'AcceptSync'>): void {
  if (!checkValidBallot(sp, acc.n) || sp.role !== 'Follower') return;
  if (sp.phase !== 'Prepare' && sp.phase !== 'Accept') return;
  // Each AcceptSync of one leader opens a new session; an older one (delayed or duplicated) was
  // computed from an older promise and must not be applied. A newer one is applied even in the
  // Accept phase: the leader answered a duplicate of our promise and will number its accepts in
  // the new session, so ignoring it would look like a gap and cost a full resync.
  if (acc.seqNum.session <= sp.lastSyncSession) return;
  // Entries still batched came from the leader's earlier accepts; write them first so that the sync,
  // which covers them, overwrites them in place instead of having them appended again later.
  sp.st.flushBatch();
  if (isOutdatedSync(sp, acc)) return;
  if (!sp.st.canApplySync(acc.logSync)) {
    sp.reconnectedUnguarded(from);
    return;
  }
  sp.lastSyncSession = acc.seqNum.session;
  sp.cachedPromise = undefined;
  const acceptedIdx = sp.st.syncLog(acc.n, acc.decidedIdx, acc.logSync);
  sp.phase = 'Accept';
  sp.currentSeqNum = { session: acc.seqNum.session, counter: acc.seqNum.counter };
  sp.latestAccepted = { n: copyBallot(acc.n), idx: sp.outgoing.length };
  sp.send(from, { type: 'Accepted', n: copyBallot(acc.n), acceptedIdx });
  if (!sp.st.stopSign && sp.bufferedProposals.length > 0) {
    const proposals = sp.bufferedProposals;
    sp.bufferedProposals = [];
    sp.forwardProposals(proposals, 'peer');
  }
  if (sp.bufferedStopSign && !sp.st.stopSign) {
    const ss = sp.bufferedStopSign;
    sp.bufferedStopSign = undefined;
    sp.forwardStopSign(ss);
  }
}

/**
 * isOutdatedSync is true for an AcceptSync of the ballot we already accepted in that would shorten
 * our log. Within one ballot the leader's log only grows and ours is a prefix of it, so every sync it
 * computes now reaches at least our end: a shorter one was computed from an older promise, and the
 * network kept it (a delayed or duplicated copy, possibly from before we restarted, when our sync
 * session was forgotten). Applying it would cut entries we acknowledged. The fresh sync follows, or
 * our resent promise asks for one.
 */
function isOutdatedSync<T, S>(sp: SequencePaxos<T, S>, acc: Msg<T, S, 'AcceptSync'>): boolean {
  const sync = acc.logSync;
  const end = sync.syncIdx + sync.suffix.length + (sync.stopSign ? 1 : 0);
  // A leader's log holds every decided entry, so a sync ending below our decided index was computed
  // before we caught those entries up (CatchUp, in any ballot): also outdated.
  if (end < sp.st.decidedIdx) return true;
  if (!ballotEquals(acc.n, sp.st.acceptedRound)) return false;
  return end < sp.st.acceptedIdx;
}

/** handleAcceptDecide appends the leader's new entries and takes its decided index. */
export function handleAcceptDecide<T, S>(sp: SequencePaxos<T, S>, acc: Msg<T, S, 'AcceptDecide'>): void {
  if (!checkValidBallot(sp, acc.n) || sp.role !== 'Follower' || sp.phase !== 'Accept') return;
  if (handleSequenceNum(sp, acc.seqNum, acc.n.pid) !== 'Expected') return;
  let acceptedIdx: number | undefined;
  const flushed = sp.st.appendToBatch(acc.entries);
  if (flushed) acceptedIdx = sp.st.appendEntries(flushed);
  const afterDecide = updateDecidedIdx(sp, acc.decidedIdx);
  if (afterDecide !== undefined) acceptedIdx = afterDecide;
  if (acceptedIdx !== undefined) replyAccepted(sp, acc.n, acceptedIdx);
}

/** handleAcceptStopSign accepts the stop sign after any batched entries. */
export function handleAcceptStopSign<T, S>(sp: SequencePaxos<T, S>, acc: Msg<T, S, 'AcceptStopSign'>): void {
  if (!checkValidBallot(sp, acc.n) || sp.role !== 'Follower' || sp.phase !== 'Accept') return;
  if (handleSequenceNum(sp, acc.seqNum, acc.n.pid) !== 'Expected') return;
  sp.st.flushBatch();
  const acceptedIdx = sp.st.setStopSign(acc.stopSign);
  replyAccepted(sp, acc.n, acceptedIdx);
}

/**
 * handleDecide takes the leader's decided index. A Decide that does not move ours (the leader's
 * periodic resend) while we hold entries past it means the leader may have lost our Accepted: we
 * repeat it, or entries every server holds could stay undecided until a new proposal comes.
 */
export function handleDecide<T, S>(sp: SequencePaxos<T, S>, dec: Msg<T, S, 'Decide'>): void {
  if (!checkValidBallot(sp, dec.n) || sp.phase !== 'Accept') return;
  if (handleSequenceNum(sp, dec.seqNum, dec.n.pid) !== 'Expected') return;
  const stale = dec.decidedIdx <= sp.st.decidedIdx;
  const acceptedIdx = updateDecidedIdx(sp, dec.decidedIdx);
  if (acceptedIdx !== undefined) replyAccepted(sp, dec.n, acceptedIdx);
  else if (stale && sp.st.acceptedIdx > dec.decidedIdx) replyAccepted(sp, dec.n, sp.st.acceptedIdx);
}

/**
 * updateDecidedIdx moves the decided index forward; if the leader decided past what we wrote, the
 * batch is written first and the new accepted index returned (so the leader hears of it).
 */
function updateDecidedIdx<T, S>(sp: SequencePaxos<T, S>, decidedIdx: number): number | undefined {
  if (decidedIdx <= sp.st.decidedIdx) return undefined;
  if (decidedIdx > sp.st.acceptedIdx) {
    const acceptedIdx = sp.st.flushBatch();
    sp.st.setDecidedIdx(Math.min(decidedIdx, acceptedIdx));
    return acceptedIdx;
  }
  sp.st.setDecidedIdx(decidedIdx);
  return undefined;
}

function replyAccepted<T, S>(sp: SequencePaxos<T, S>, n: Ballot, acceptedIdx: number): void {
  const latest = sp.latestAccepted;
  if (latest && sp.isPromised(latest.n)) {
    const m = sp.outgoing[latest.idx];
    if (m && m.msg.type === 'Accepted' && m.msg.n.n === n.n && m.msg.n.pid === n.pid) {
      m.msg.acceptedIdx = acceptedIdx;
      return;
    }
  }
  sp.latestAccepted = { n: copyBallot(n), idx: sp.outgoing.length };
  sp.send(n.pid, { type: 'Accepted', n: copyBallot(n), acceptedIdx });
}

/**
 * checkValidBallot accepts only messages of the ballot we promised. An older leader is told
 * NotAccepted; a newer one we never promised is asked to prepare us.
 */
function checkValidBallot<T, S>(sp: SequencePaxos<T, S>, n: Ballot): boolean {
  const c = sp.comparePromise(n);
  if (c === 0) return true;
  if (c < 0) {
    sp.send(n.pid, { type: 'NotAccepted', n: sp.getPromise() });
  } else {
    sp.logger?.warn('message from a leader never promised; asking it to prepare us', { pid: sp.pid, from: n.pid });
    sp.reconnectedUnguarded(n.pid);
  }
  return false;
}

function handleSequenceNum<T, S>(sp: SequencePaxos<T, S>, seq: SequenceNumber, from: NodeId): string {
  const status = checkSequence(sp.currentSeqNum, seq);
  if (status === 'Expected') sp.currentSeqNum = { session: seq.session, counter: seq.counter };
  else if (status === 'DroppedPreceding') sp.reconnectedUnguarded(from);
  return status;
}

/** resendMessagesFollower resends our Promise, or PrepareReq while recovering. */
export function resendMessagesFollower<T, S>(sp: SequencePaxos<T, S>): void {
  if (sp.phase === 'Prepare') {
    const p = sp.cachedPromise;
    if (p) {
      sp.send(p.n.pid, p);
      return;
    }
    sp.phase = 'Recover';
  }
  if (sp.phase === 'Recover') {
    for (const to of sp.peers) sp.send(to, { type: 'PrepareReq', n: sp.getPromise() });
  }
}

/** flushBatchFollower writes a partial batch and tells the leader the new accepted index. */
export function flushBatchFollower<T, S>(sp: SequencePaxos<T, S>): void {
  const before = sp.st.acceptedIdx;
  const after = sp.st.flushBatch();
  if (after > before) replyAccepted(sp, sp.getPromise(), after);
}
