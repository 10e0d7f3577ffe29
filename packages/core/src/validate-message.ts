import type { BLEMsg, Message, PaxosMsg } from './messages.js';
import type { NodeId } from './node-id.js';

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isNat(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPid(x: unknown): x is NodeId {
  return isNat(x) && x > 0;
}

function isBallot(x: unknown): boolean {
  // A ballot's pid may be 0: that is ZERO_BALLOT, the ballot before any promise.
  return isObj(x) && isNat(x.configId) && isNat(x.n) && isNat(x.priority) && isNat(x.pid);
}

function isSeqNum(x: unknown): boolean {
  return isObj(x) && isNat(x.session) && isNat(x.counter);
}

function isClusterConfig(x: unknown): boolean {
  if (!isObj(x) || !isNat(x.configurationId) || !Array.isArray(x.nodes)) return false;
  if (!x.nodes.every(isPid)) return false;
  const fq = x.flexibleQuorum;
  return fq === undefined || (isObj(fq) && isNat(fq.readQuorumSize) && isNat(fq.writeQuorumSize));
}

function isStopSign(x: unknown): boolean {
  return isObj(x) && isClusterConfig(x.nextConfig) && (x.metadata === undefined || x.metadata instanceof Uint8Array);
}

function isSnapshotTransfer(x: unknown): boolean {
  if (!isObj(x) || !('snapshot' in x)) return false;
  return x.kind === 'Complete' || (x.kind === 'Delta' && isNat(x.fromIdx));
}

function isLogSync(x: unknown): boolean {
  return (
    isObj(x) &&
    Array.isArray(x.suffix) &&
    isNat(x.syncIdx) &&
    (x.decidedSnapshot === undefined || isSnapshotTransfer(x.decidedSnapshot)) &&
    (x.trimmed === undefined || typeof x.trimmed === 'boolean') &&
    (x.stopSign === undefined || isStopSign(x.stopSign))
  );
}

function isCompaction(x: unknown): boolean {
  if (!isObj(x)) return false;
  if (x.kind === 'Trim') return isNat(x.idx);
  return x.kind === 'Snapshot' && (x.idx === undefined || isNat(x.idx));
}

/** PAXOS_CHECKS holds one structural check per Sequence Paxos message type. */
const PAXOS_CHECKS: Readonly<Record<PaxosMsg<unknown, unknown>['type'], (m: Obj) => boolean>> = {
  PrepareReq: (m) => isBallot(m.n),
  Prepare: (m) => isBallot(m.n) && isNat(m.decidedIdx) && isBallot(m.nAccepted) && isNat(m.acceptedIdx),
  Promise: (m) =>
    isBallot(m.n) &&
    isBallot(m.nAccepted) &&
    isNat(m.decidedIdx) &&
    isNat(m.acceptedIdx) &&
    (m.logSync === undefined || isLogSync(m.logSync)),
  AcceptSync: (m) => isBallot(m.n) && isSeqNum(m.seqNum) && isNat(m.decidedIdx) && isLogSync(m.logSync),
  AcceptDecide: (m) => isBallot(m.n) && isSeqNum(m.seqNum) && isNat(m.decidedIdx) && Array.isArray(m.entries),
  Accepted: (m) => isBallot(m.n) && isNat(m.acceptedIdx),
  NotAccepted: (m) => isBallot(m.n),
  Decide: (m) => isBallot(m.n) && isSeqNum(m.seqNum) && isNat(m.decidedIdx),
  ProposalForward: (m) => Array.isArray(m.entries),
  Compaction: (m) => isCompaction(m.compaction),
  AcceptStopSign: (m) => isBallot(m.n) && isSeqNum(m.seqNum) && isStopSign(m.stopSign),
  ForwardStopSign: (m) => isStopSign(m.stopSign),
  CatchUpRequest: (m) => isBallot(m.n) && isNat(m.fromIdx),
  CatchUp: (m) => isBallot(m.n) && isNat(m.fromIdx) && isNat(m.decidedIdx) && Array.isArray(m.entries) && typeof m.leading === 'boolean',
};

/** BLE_CHECKS holds one structural check per leader-election message type. */
const BLE_CHECKS: Readonly<Record<BLEMsg['type'], (m: Obj) => boolean>> = {
  HeartbeatRequest: (m) => isNat(m.round),
  HeartbeatReply: (m) =>
    isNat(m.round) && isBallot(m.ballot) && isBallot(m.leader) && typeof m.happy === 'boolean',
};

function checkBody(checks: Readonly<Record<string, (m: Obj) => boolean>>, msg: unknown): boolean {
  if (!isObj(msg) || typeof msg.type !== 'string' || !Object.hasOwn(checks, msg.type)) return false;
  const check = checks[msg.type];
  return check !== undefined && check(msg);
}

/**
 * validateMessage is true when `x` has the structure of a replica `Message`: a known `kind`, positive
 * integer `from`/`to`, and a `msg` whose `type` is a known PaxosMsg/BLEMsg type with every required
 * field of the right shape (ballots, sequence numbers, indices, log syncs, stop signs). Log entries
 * (`T`) and snapshots (`S`) are application data and only checked to be present (arrays where the
 * protocol holds arrays); check them in your application or with the TCP transport's `validate` option. Extra fields are ignored.
 */
export function validateMessage(x: unknown): x is Message<unknown, unknown> {
  if (!isObj(x) || !isPid(x.from) || !isPid(x.to)) return false;
  if (x.kind === 'SequencePaxos') return checkBody(PAXOS_CHECKS, x.msg);
  if (x.kind === 'BLE') return checkBody(BLE_CHECKS, x.msg);
  return false;
}

/** describeInvalidMessage names, for a log line, why `x` failed validateMessage (best effort). */
export function describeInvalidMessage(x: unknown): string {
  if (!isObj(x)) return 'not an object';
  if (x.kind !== 'SequencePaxos' && x.kind !== 'BLE') return `unknown message kind ${JSON.stringify(String(x.kind))}`;
  if (!isPid(x.from) || !isPid(x.to)) return 'from/to are not positive integers';
  const msg = x.msg;
  if (!isObj(msg) || typeof msg.type !== 'string') return 'msg has no type';
  const checks: Readonly<Record<string, unknown>> = x.kind === 'BLE' ? BLE_CHECKS : PAXOS_CHECKS;
  if (!Object.hasOwn(checks, msg.type)) return `unknown ${x.kind} message type ${JSON.stringify(msg.type.slice(0, 40))}`;
  return `malformed ${x.kind} ${msg.type}`;
}
