import type { Ballot } from '../ballot.js';
import type { PaxosMessage } from '../messages.js';

/*
 * Pipelining: what a driver needs to let the leader write in parallel with its followers
 * (`deferLeaderAccept`): which messages may leave before the local flush, and the mark that tells
 * the leader afterwards how much of its log the flush made durable.
 */

/**
 * sendsBeforeFlush tells a driver of a replica with `deferLeaderAccept` which of its messages may go
 * out before its own flush: the leader's AcceptDecide and Decide (every decision they carry rests on
 * flushed copies) and forwarded proposals (they promise nothing). Everything else — promises, accepted
 * acknowledgements, syncs, stop signs — waits for the flush, and so does anything drained after a
 * message that waits, to keep each link in order.
 */
export function sendsBeforeFlush<T, S>(m: PaxosMessage<T, S> | { kind: string }): boolean {
  if (m.kind !== 'SequencePaxos') return false;
  const t = (m as PaxosMessage<T, S>).msg.type;
  return t === 'AcceptDecide' || t === 'Decide' || t === 'ProposalForward';
}

/** PersistMark is how far the leader's log reached under ballot `n`, taken before a flush (see `persistMark`). */
export interface PersistMark {
  n: Ballot;
  idx: number;
}
