import type { Ballot } from './ballot.js';
import type { StopSign } from './log-entry.js';
import type { NodeId } from './node-id.js';
import type { SequenceNumber } from './sequence-number.js';

/**
 * SnapshotTransfer is a snapshot sent in a log sync: the whole decided state, or a delta of the
 * entries from `fromIdx` on, to merge onto a log decided exactly up to `fromIdx`.
 */
export type SnapshotTransfer<S> = { kind: 'Complete'; snapshot: S } | { kind: 'Delta'; snapshot: S; fromIdx: number };

/**
 * LogSync brings a log up to date: keep the prefix before `syncIdx`, install the snapshot (which ends
 * at `syncIdx`), append `suffix` from `syncIdx`, and take the stop sign if there is one. `trimmed`
 * says the sender trimmed everything before `syncIdx` without a snapshot: the receiver trims there too.
 */
export interface LogSync<T, S> {
  decidedSnapshot?: SnapshotTransfer<S>;
  trimmed?: boolean;
  suffix: T[];
  syncIdx: number;
  stopSign?: StopSign;
}

/** Compaction asks followers to trim or snapshot their log prefix. */
export type Compaction = { kind: 'Trim'; idx: number } | { kind: 'Snapshot'; idx?: number };

/** PaxosMsg is every Sequence Paxos message, discriminated by `type` as named in OmniPaxos. */
export type PaxosMsg<T, S> =
  | { type: 'PrepareReq'; n: Ballot }
  | { type: 'Prepare'; n: Ballot; decidedIdx: number; nAccepted: Ballot; acceptedIdx: number }
  | {
      type: 'Promise';
      n: Ballot;
      nAccepted: Ballot;
      decidedIdx: number;
      acceptedIdx: number;
      logSync?: LogSync<T, S>;
    }
  | { type: 'AcceptSync'; n: Ballot; seqNum: SequenceNumber; decidedIdx: number; logSync: LogSync<T, S> }
  | { type: 'AcceptDecide'; n: Ballot; seqNum: SequenceNumber; decidedIdx: number; entries: T[] }
  | { type: 'Accepted'; n: Ballot; acceptedIdx: number }
  | { type: 'NotAccepted'; n: Ballot }
  | { type: 'Decide'; n: Ballot; seqNum: SequenceNumber; decidedIdx: number }
  | { type: 'ProposalForward'; entries: T[] }
  | { type: 'Compaction'; compaction: Compaction }
  | { type: 'AcceptStopSign'; n: Ballot; seqNum: SequenceNumber; stopSign: StopSign }
  | { type: 'ForwardStopSign'; stopSign: StopSign }
  /** Asks a peer for its decided entries from `fromIdx` on (a lagging replica catching up in chunks). */
  | { type: 'CatchUpRequest'; n: Ballot; fromIdx: number }
  /**
   * Decided entries [fromIdx, fromIdx + entries.length) of the sender, whose decided index is
   * `decidedIdx` and whose promise is `n`; `leading` when the sender leads `n` in its Accept phase.
   */
  | { type: 'CatchUp'; n: Ballot; fromIdx: number; decidedIdx: number; entries: T[]; leading: boolean };

/** BLEMsg is a Ballot Leader Election heartbeat. */
export type BLEMsg =
  | { type: 'HeartbeatRequest'; round: number }
  | { type: 'HeartbeatReply'; round: number; ballot: Ballot; leader: Ballot; happy: boolean };

/** Message is what replicas send each other: plain data that survives structuredClone and msgpack. */
export type Message<T, S = never> =
  | { kind: 'SequencePaxos'; from: NodeId; to: NodeId; msg: PaxosMsg<T, S> }
  | { kind: 'BLE'; from: NodeId; to: NodeId; msg: BLEMsg };

/** PaxosMessage is a Message for Sequence Paxos. */
export type PaxosMessage<T, S = never> = Extract<Message<T, S>, { kind: 'SequencePaxos' }>;

/** BLEMessage is a Message for leader election. */
export type BLEMessage = Extract<Message<never, never>, { kind: 'BLE' }>;

/** PaxosMsgType names each Sequence Paxos message type. */
export type PaxosMsgType = PaxosMsg<unknown, unknown>['type'];
