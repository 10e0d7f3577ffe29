import { type Ballot, ballotEquals, copyBallot } from '../ballot.js';
import type { PaxosMsg } from '../messages.js';
import type { NodeId } from '../node-id.js';
import { fillDecided } from '../storage/decided-fill.js';
import type { SequencePaxos } from './sequence-paxos.js';
import { fitsBounds, readBounded } from './sync-bounds.js';

/*
 * Catch-up in bounded chunks. A log sync (AcceptSync) must be applied in one piece, so a follower
 * far behind would need one message as large as its lag. Instead the leader streams the *decided*
 * part first, as CatchUp chunks the follower writes in place (see fillDecided), one chunk in flight
 * per follower: the follower asks for the next (CatchUpRequest) once it wrote the last. When it has
 * what the leader had decided, it sends its promise again and gets an AcceptSync with only the short
 * undecided rest. A lost chunk or request is recovered by the follower's promise resend timeout.
 */

type Msg<T, S, K extends PaxosMsg<T, S>['type']> = Extract<PaxosMsg<T, S>, { type: K }>;

/** ownBallot is our promise, labelled with our configuration even before we promised anything. */
function ownBallot<T, S>(sp: SequencePaxos<T, S>): Ballot {
  const n = copyBallot(sp.st.promise);
  if (n.configId === 0) n.configId = sp.configurationId;
  return n;
}

/**
 * catchUpInsteadOfSync is asked before an AcceptSync to `to`, whose log agrees with ours up to
 * `validIdx` and is decided up to `theirDecidedIdx`. When the sync would not fit the sync bounds and
 * part of it is decided here, it sends the first CatchUp chunk instead and returns true.
 */
export function catchUpInsteadOfSync<T, S>(
  sp: SequencePaxos<T, S>,
  to: NodeId,
  validIdx: number,
  theirDecidedIdx: number,
): boolean {
  const st = sp.st;
  const entriesEnd = st.acceptedIdx - (st.stopSign ? 1 : 0);
  const common = Math.min(validIdx, entriesEnd);
  // With snapshots the sync is a snapshot plus the undecided suffix; below our compacted index a
  // trimmed sync: both are built by createLogSync as before.
  if (st.usesSnapshots && st.decidedIdx > common) return false;
  if (common < st.compactedIdx) return false;
  if (fitsBounds(st, common, entriesEnd, sp.syncBounds)) return false;
  const decidedEnd = st.decidedIdxWithoutStopSign();
  if (theirDecidedIdx >= decidedEnd || theirDecidedIdx < st.compactedIdx) {
    sp.logger?.warn('log sync exceeds the sync bounds and has no decided part to stream: sending it whole', {
      pid: sp.pid,
      to,
      from: common,
      end: entriesEnd,
    });
    return false;
  }
  sp.logger?.debug('catching up a follower in chunks', { pid: sp.pid, to, from: theirDecidedIdx, decided: decidedEnd });
  sendCatchUp(sp, to, theirDecidedIdx);
  return true;
}

/** sendCatchUp sends `to` our decided entries from `fromIdx`, as many as the sync bounds allow (none if we have none there). */
export function sendCatchUp<T, S>(sp: SequencePaxos<T, S>, to: NodeId, fromIdx: number): void {
  const st = sp.st;
  const decidedEnd = st.decidedIdxWithoutStopSign();
  const entries = fromIdx >= st.compactedIdx && fromIdx < decidedEnd ? readBounded(st, fromIdx, decidedEnd, sp.syncBounds) : [];
  const leading = sp.role === 'Leader' && sp.phase === 'Accept';
  sp.send(to, { type: 'CatchUp', n: ownBallot(sp), fromIdx, decidedIdx: decidedEnd, entries, leading });
}

/** handleCatchUpRequest answers a peer that asks for our decided entries from an index. */
export function handleCatchUpRequest<T, S>(sp: SequencePaxos<T, S>, from: NodeId, req: Msg<T, S, 'CatchUpRequest'>): void {
  sendCatchUp(sp, from, req.fromIdx);
}

/**
 * handleCatchUp writes a chunk of decided entries (not in the Accept phase: accepts append at the log
 * end the leader expects). Then it asks the sender for the next chunk, or, once it holds what the
 * sender had decided: a follower sends the sender (its leader) its promise again, so the leader syncs
 * the rest; a leader still preparing sends the sender (a promiser far ahead) its Prepare again, so
 * the promise that comes back carries only what is not decided.
 */
export function handleCatchUp<T, S>(sp: SequencePaxos<T, S>, from: NodeId, msg: Msg<T, S, 'CatchUp'>): void {
  if (sp.phase === 'Accept') return;
  const st = sp.st;
  if (sp.role === 'Leader') {
    if (sp.phase !== 'Prepare') return;
    if (fillDecided(st, msg.fromIdx, msg.entries)) {
      // The promises so far describe syncs against our log before the fill: forget them.
      sp.restartPrepare();
      if (st.decidedIdx < msg.decidedIdx) {
        sp.send(from, { type: 'CatchUpRequest', n: ownBallot(sp), fromIdx: st.decidedIdx });
        return;
      }
      for (const to of sp.peers) sp.sendPrepareTo(to);
      return;
    }
    if (msg.entries.length === 0) sp.sendPrepareTo(from);
    return;
  }
  const cached = sp.cachedPromise;
  if (cached?.logSync) {
    // A promise carrying our log to a leader in its Prepare phase describes that log: it must not
    // change under it. Once that leader accepts, it has taken its sync and ignores ours.
    if (!msg.leading || from !== cached.n.pid || !ballotEquals(msg.n, cached.n)) return;
    delete cached.logSync;
  }
  if (fillDecided(st, msg.fromIdx, msg.entries)) {
    if (cached) {
      cached.acceptedIdx = st.acceptedIdx;
      cached.decidedIdx = st.decidedIdx;
    }
    if (st.decidedIdx < msg.decidedIdx) {
      sp.send(from, { type: 'CatchUpRequest', n: ownBallot(sp), fromIdx: st.decidedIdx });
      return;
    }
  } else if (msg.entries.length > 0) {
    return; // a duplicate or stale chunk
  }
  if (cached && cached.n.pid === from) sp.send(from, { ...cached });
}
