import { type Ballot, ballotEquals, compareBallots, copyBallot } from '../ballot.js';
import { InvariantError } from '../errors.js';
import type { StopSign } from '../log-entry.js';
import type { LogSync, PaxosMsg } from '../messages.js';
import type { NodeId } from '../node-id.js';
import { catchUpInsteadOfSync } from './catch-up.js';
import { LeaderState } from './leader-state.js';
import type { PersistMark } from './pipelining.js';
import type { SequencePaxos } from './sequence-paxos.js';

type Msg<T, S, K extends PaxosMsg<T, S>['type']> = Extract<PaxosMsg<T, S>, { type: K }>;

/** handleLeader starts a Prepare phase when `n` is our new ballot, or steps down when it is another's. */
export function handleLeader<T, S>(sp: SequencePaxos<T, S>, n: Ballot): void {
  if (compareBallots(n, sp.leaderState.nLeader) <= 0 || sp.comparePromise(n) <= 0) return;
  if (n.pid !== sp.pid) {
    sp.role = 'Follower';
    return;
  }
  sp.leaderState = new LeaderState<T, S>(n, sp.nodes, sp.quorum);
  sp.rejectedBy = undefined;
  // Entries still in our batch belong to the log we now sync from; write them first.
  sp.st.flushBatch();
  sp.st.setPromise(n);
  const own = {
    pid: sp.pid,
    nAccepted: copyBallot(sp.st.acceptedRound),
    acceptedIdx: sp.st.acceptedIdx,
    decidedIdx: sp.st.decidedIdx,
  };
  const alone = sp.leaderState.setPromise(own, undefined, true);
  sp.role = 'Leader';
  sp.phase = 'Prepare';
  sp.logger?.info('leading: prepare phase', { pid: sp.pid, ballot: n });
  for (const to of sp.peers) sendPrepare(sp, to);
  // The Prepares just went out: the next resend timeout (possibly this very tick) must not repeat them.
  sp.preparesJustSent = true;
  // Our own promise is a quorum only in a one-node configuration: accept at once.
  if (alone) handleMajorityPromises(sp);
}

/** sendPrepare queues a Prepare for our ballot, carrying how up to date our log is. */
export function sendPrepare<T, S>(sp: SequencePaxos<T, S>, to: NodeId): void {
  sp.send(to, {
    type: 'Prepare',
    n: copyBallot(sp.leaderState.nLeader),
    decidedIdx: sp.st.decidedIdx,
    nAccepted: copyBallot(sp.st.acceptedRound),
    acceptedIdx: sp.st.acceptedIdx,
  });
}

/** handlePrepareReq answers a server that asks to be prepared (after a restart or a gap). */
export function handlePrepareReq<T, S>(sp: SequencePaxos<T, S>, from: NodeId, n: Ballot): void {
  if (sp.role !== 'Leader' || typeof n !== 'object' || n === null) return;
  if (compareBallots(n, sp.leaderState.nLeader) <= 0) {
    sp.leaderState.resetPromise(from);
    sendPrepare(sp, from);
  }
}

/** handleForwardedProposal takes proposals a follower forwarded to us. */
export function handleForwardedProposal<T, S>(sp: SequencePaxos<T, S>, entries: T[]): void {
  if (sp.st.stopSign || entries.length === 0) return;
  if (sp.role === 'Leader' && sp.phase === 'Accept') acceptEntriesLeader(sp, entries);
  else if (sp.role === 'Leader' && sp.phase === 'Prepare') sp.bufferProposals(entries, 'peer');
  else sp.forwardProposals(entries, 'peer');
}

/** handleForwardedStopSign takes a stop sign a follower forwarded to us. */
export function handleForwardedStopSign<T, S>(sp: SequencePaxos<T, S>, ss: StopSign): void {
  if (sp.st.stopSign || typeof ss !== 'object' || ss === null) return;
  if (sp.role === 'Leader' && sp.phase === 'Accept') acceptStopSignLeader(sp, ss);
  else if (sp.role === 'Leader' && sp.phase === 'Prepare') sp.bufferedStopSign = ss;
  else sp.forwardStopSign(ss);
}

/** acceptEntriesLeader appends entries to the leader's log (through the batch) and sends them. */
export function acceptEntriesLeader<T, S>(sp: SequencePaxos<T, S>, entries: T[]): void {
  const flushed = sp.st.appendToBatch(entries);
  if (flushed) writeAndSendAccepts(sp, flushed);
}

function writeAndSendAccepts<T, S>(sp: SequencePaxos<T, S>, entries: T[]): void {
  const acceptedIdx = sp.st.appendEntries(entries);
  countOwnAccept(sp, acceptedIdx);
  sendAcceptDecide(sp, entries);
}

/**
 * countOwnAccept counts the leader's log up to `idx` toward the quorum — at once, or, with
 * `deferLeaderAccept`, only when the driver reports it durable (`handlePersisted`).
 */
function countOwnAccept<T, S>(sp: SequencePaxos<T, S>, idx: number): void {
  if (sp.deferLeaderAccept) return;
  sp.leaderState.setAcceptedIdx(sp.pid, idx);
  // Alone in its configuration, the leader's own copy is the accept quorum: decide now.
  if (sp.quorum.isAcceptQuorum(1)) decideChosen(sp);
}

/** handlePersisted counts the leader's durable log (see `SequencePaxos.persisted`) and decides what is chosen. */
export function handlePersisted<T, S>(sp: SequencePaxos<T, S>, mark: PersistMark): void {
  if (sp.role !== 'Leader' || sp.phase !== 'Accept' || !ballotEquals(mark.n, sp.leaderState.nLeader)) return;
  const ls = sp.leaderState;
  const idx = Math.min(mark.idx, sp.st.acceptedIdx);
  if (idx <= (ls.acceptedIdx.get(sp.pid) ?? 0)) return;
  ls.setAcceptedIdx(sp.pid, idx);
  decideChosen(sp);
}

/** decideChosen decides the highest index an accept quorum holds, if it is past the decided index. */
function decideChosen<T, S>(sp: SequencePaxos<T, S>): void {
  const chosen = sp.leaderState.maxChosenIdx();
  if (chosen > sp.st.decidedIdx) decide(sp, chosen);
}

/** acceptStopSignLeader writes the stop sign after any batched entries and sends it to the followers. */
export function acceptStopSignLeader<T, S>(sp: SequencePaxos<T, S>, ss: StopSign): void {
  const batch = sp.st.takeBatch();
  if (batch.length > 0) writeAndSendAccepts(sp, batch);
  const acceptedIdx = sp.st.setStopSign(ss);
  countOwnAccept(sp, acceptedIdx);
  for (const to of sp.leaderState.getPromisedFollowers()) sendAcceptStopSign(sp, to, ss);
}

/** createLogSync builds what a log that agrees with ours up to `commonPrefixIdx` is missing. */
export function createLogSync<T, S>(sp: SequencePaxos<T, S>, commonPrefixIdx: number, otherDecidedIdx: number): LogSync<T, S> {
  const st = sp.st;
  // Accepted indices count the stop sign's slot, but a sync is positioned among entries: a common
  // prefix never reaches past our last entry (the stop sign travels on its own, below).
  commonPrefixIdx = Math.min(commonPrefixIdx, st.acceptedIdx - (st.stopSign ? 1 : 0));
  const sync: LogSync<T, S> = { suffix: [], syncIdx: commonPrefixIdx };
  if (st.usesSnapshots && st.decidedIdx > commonPrefixIdx) {
    const { snapshot, idx } = st.createDiffSnapshot(otherDecidedIdx);
    if (snapshot) sync.decidedSnapshot = snapshot;
    sync.syncIdx = idx;
    sync.suffix = st.getSuffix(idx);
  } else if (commonPrefixIdx < st.compactedIdx) {
    // The other log needs entries we trimmed (no snapshots): it skips to our compacted index too.
    sync.syncIdx = st.compactedIdx;
    sync.trimmed = true;
    sync.suffix = st.getSuffix(st.compactedIdx);
  } else {
    sync.suffix = st.getSuffix(commonPrefixIdx);
  }
  if (st.stopSign) sync.stopSign = st.stopSign;
  return sync;
}

function sendAcceptSync<T, S>(sp: SequencePaxos<T, S>, to: NodeId): void {
  const ls = sp.leaderState;
  const max = ls.getMaxPromiseMeta();
  const theirs = ls.getPromiseMeta(to);
  if (!theirs) throw new InvariantError(`AcceptSync to ${to}, which has not promised`);
  // How much of the follower's log is valid depends on which leader it followed last.
  let validIdx: number;
  if (ballotEquals(theirs.nAccepted, ls.nLeader)) validIdx = theirs.acceptedIdx;
  else if (ballotEquals(theirs.nAccepted, max.nAccepted)) validIdx = Math.min(max.acceptedIdx, theirs.acceptedIdx);
  else validIdx = theirs.decidedIdx;
  // A new session even when the follower catches up first: accepts of the old one must not reach
  // a follower that still applies that session (it would append them at the wrong end).
  ls.incrementSeqNumSession(to);
  ls.setLatestAcceptIndex(to, undefined);
  if (catchUpInsteadOfSync(sp, to, validIdx, theirs.decidedIdx)) return;
  const logSync = createLogSync(sp, validIdx, theirs.decidedIdx);
  sp.send(to, {
    type: 'AcceptSync',
    n: copyBallot(ls.nLeader),
    seqNum: ls.nextSeqNum(to),
    decidedIdx: sp.st.decidedIdx,
    logSync,
  });
}

/** sendAcceptDecide sends new entries to every promised follower, extending a queued message if any. */
function sendAcceptDecide<T, S>(sp: SequencePaxos<T, S>, entries: T[]): void {
  const ls = sp.leaderState;
  const decidedIdx = sp.st.decidedIdx;
  for (const to of ls.getPromisedFollowers()) {
    const queued = queuedAcceptDecide(sp, to);
    if (queued) {
      for (let i = 0; i < entries.length; i++) queued.entries.push(entries[i] as T);
      queued.decidedIdx = decidedIdx;
    } else {
      ls.setLatestAcceptIndex(to, sp.outgoing.length);
      sp.send(to, {
        type: 'AcceptDecide',
        n: copyBallot(ls.nLeader),
        seqNum: ls.nextSeqNum(to),
        decidedIdx,
        entries: entries.slice(),
      });
    }
  }
}

function queuedAcceptDecide<T, S>(sp: SequencePaxos<T, S>, to: NodeId): Msg<T, S, 'AcceptDecide'> | undefined {
  const idx = sp.leaderState.latestAcceptIndex(to);
  if (idx === undefined) return undefined;
  const m = sp.outgoing[idx];
  if (m && m.to === to && m.msg.type === 'AcceptDecide' && ballotEquals(m.msg.n, sp.leaderState.nLeader)) return m.msg;
  return undefined;
}

function sendAcceptStopSign<T, S>(sp: SequencePaxos<T, S>, to: NodeId, ss: StopSign): void {
  const ls = sp.leaderState;
  sp.send(to, { type: 'AcceptStopSign', n: copyBallot(ls.nLeader), seqNum: ls.nextSeqNum(to), stopSign: ss });
}

function sendDecide<T, S>(sp: SequencePaxos<T, S>, to: NodeId, decidedIdx: number): void {
  const ls = sp.leaderState;
  sp.send(to, { type: 'Decide', n: copyBallot(ls.nLeader), seqNum: ls.nextSeqNum(to), decidedIdx });
}

function handleMajorityPromises<T, S>(sp: SequencePaxos<T, S>): void {
  const ls = sp.leaderState;
  const maxSync = ls.takeMaxPromiseSync();
  if (maxSync && !sp.st.canApplySync(maxSync)) {
    throw new InvariantError(`the most up-to-date promise syncs from ${maxSync.syncIdx}, past our log end ${sp.st.acceptedIdx}`);
  }
  let acceptedIdx = sp.st.syncLog(ls.nLeader, ls.getMaxDecidedIdx(), maxSync);
  if (!sp.st.stopSign) {
    if (sp.bufferedProposals.length > 0) {
      const entries = sp.bufferedProposals;
      sp.bufferedProposals = [];
      acceptedIdx = sp.st.appendEntries(entries);
    }
    const ss = sp.bufferedStopSign;
    if (ss) {
      sp.bufferedStopSign = undefined;
      acceptedIdx = sp.st.setStopSign(ss);
    }
  }
  sp.phase = 'Accept';
  countOwnAccept(sp, acceptedIdx);
  sp.logger?.info('leading: accept phase', { pid: sp.pid, ballot: ls.nLeader, acceptedIdx });
  for (const to of ls.getPromisedFollowers()) sendAcceptSync(sp, to);
}

/** handlePromisePrepare counts a promise; with a quorum the leader syncs its log and starts accepting. */
export function handlePromisePrepare<T, S>(sp: SequencePaxos<T, S>, from: NodeId, prom: Msg<T, S, 'Promise'>): void {
  if (!ballotEquals(prom.n, sp.leaderState.nLeader)) return;
  if (prom.logSync && !sp.st.canApplySync(prom.logSync)) {
    // Computed from an older Prepare of ours (delayed or duplicated): ask for a fresh promise.
    sendPrepare(sp, from);
    return;
  }
  const meta = { pid: from, nAccepted: prom.nAccepted, acceptedIdx: prom.acceptedIdx, decidedIdx: prom.decidedIdx };
  if (sp.leaderState.setPromise(meta, prom.logSync, true)) handleMajorityPromises(sp);
}

/** handlePromiseAccept syncs a follower that promises after the leader reached the Accept phase. */
export function handlePromiseAccept<T, S>(sp: SequencePaxos<T, S>, from: NodeId, prom: Msg<T, S, 'Promise'>): void {
  if (!ballotEquals(prom.n, sp.leaderState.nLeader)) return;
  const meta = { pid: from, nAccepted: prom.nAccepted, acceptedIdx: prom.acceptedIdx, decidedIdx: prom.decidedIdx };
  sp.leaderState.setPromise(meta, undefined, false);
  sendAcceptSync(sp, from);
}

/** handleAccepted counts a follower's accepted index and decides what a quorum holds. */
export function handleAccepted<T, S>(sp: SequencePaxos<T, S>, from: NodeId, acc: Msg<T, S, 'Accepted'>): void {
  if (sp.role !== 'Leader' || sp.phase !== 'Accept' || !ballotEquals(acc.n, sp.leaderState.nLeader)) return;
  if (!sp.leaderState.getPromiseMeta(from)) return;
  sp.leaderState.setAcceptedIdx(from, acc.acceptedIdx);
  if (acc.acceptedIdx <= sp.st.decidedIdx) return;
  // The highest index a quorum holds may be below this one (the leader's own count trails with
  // deferLeaderAccept; another follower's Accepted came late), so decide what is chosen, not acc's index.
  decideChosen(sp);
}

function decide<T, S>(sp: SequencePaxos<T, S>, decidedIdx: number): void {
  sp.st.setDecidedIdx(decidedIdx);
  for (const to of sp.leaderState.getPromisedFollowers()) {
    const queued = queuedAcceptDecide(sp, to);
    if (queued) queued.decidedIdx = decidedIdx;
    else sendDecide(sp, to, decidedIdx);
  }
}

/** handleNotAccepted notes that a follower promised a higher ballot than ours. */
export function handleNotAccepted<T, S>(sp: SequencePaxos<T, S>, from: NodeId, n: Ballot): void {
  if (sp.role !== 'Leader' || compareBallots(sp.leaderState.nLeader, n) >= 0) return;
  sp.leaderState.lostPromise(from);
  // Leader election decides whether to take a ballot above it: only when nobody leads with it (a
  // server that crashed while leading, or one whose leader is gone for good), not when the refusing
  // server sits between us and another live leader (the two would take turns).
  if (!sp.rejectedBy || compareBallots(n, sp.rejectedBy) > 0) sp.rejectedBy = copyBallot(n);
}

/**
 * resendMessagesLeader runs every resend timeout: it sends Prepare to peers that have not promised,
 * and to every promised follower either the stop sign (until it accepted it) or a Decide with the
 * decided index. These carry fresh sequence numbers, so a follower that lost an earlier accept sees
 * a gap and asks to be synced — even when no new entry arrives to reveal the gap (the Rust original
 * resends only stop-sign messages, with the last sequence number, which a follower that lost an
 * earlier message can take as in order and then never learn what it missed).
 */
export function resendMessagesLeader<T, S>(sp: SequencePaxos<T, S>): void {
  if (sp.phase === 'Accept') {
    const ss = sp.st.stopSign;
    const ssDecided = sp.st.stopSignIsDecided();
    for (const to of sp.leaderState.getPromisedFollowers()) {
      if (ss && !ssDecided && sp.leaderState.acceptedIdx.get(to) !== sp.st.acceptedIdx) sendAcceptStopSign(sp, to, ss);
      else if (!queuedAcceptDecide(sp, to)) sendDecide(sp, to, sp.st.decidedIdx);
    }
  }
  if (sp.preparesJustSent) {
    sp.preparesJustSent = false;
    return;
  }
  if (sp.phase === 'Prepare' || sp.phase === 'Accept') {
    for (const to of sp.leaderState.getPreparablePeers(sp.peers)) sendPrepare(sp, to);
  }
}

/** flushBatchLeader writes and sends a partial batch. */
export function flushBatchLeader<T, S>(sp: SequencePaxos<T, S>): void {
  const batch = sp.st.takeBatch();
  if (batch.length > 0) writeAndSendAccepts(sp, batch);
}
