export { type Ballot, ZERO_BALLOT, ballotEquals, ballotGreater, compareBallots, copyBallot } from './ballot.js';
export { BallotLeaderElection, type BLEConfig } from './ble/ballot-leader-election.js';
export {
  type ClusterConfig,
  type FlexibleQuorum,
  type OmniPaxosConfig,
  type ResolvedServerConfig,
  type ServerConfig,
  SERVER_DEFAULTS,
  resolveServerConfig,
  validateClusterConfig,
} from './config.js';
export {
  CompactionError,
  type CompactionErrorCode,
  ConfigError,
  InvariantError,
  ProposeError,
  type ProposeErrorCode,
  StorageError,
} from './errors.js';
export { estimateSize } from './entry-size.js';
export type { LogEntry, SnapshotLogic, StopSign } from './log-entry.js';
export type { Logger } from './logger.js';
export type {
  BLEMessage,
  BLEMsg,
  Compaction,
  LogSync,
  Message,
  PaxosMessage,
  PaxosMsg,
  PaxosMsgType,
  SnapshotTransfer,
} from './messages.js';
export type { NodeId } from './node-id.js';
export { OmniPaxos, type OmniPaxosOptions } from './omnipaxos.js';
export { Quorum } from './quorum.js';
export type { PaxosStatus, Phase, Role } from './roles.js';
export { type MessageStatus, type SequenceNumber, checkSequence } from './sequence-number.js';
export { type PersistMark, sendsBeforeFlush } from './sequence-paxos/pipelining.js';
export { SequencePaxos, type SequencePaxosConfig, type SequencePaxosOptions } from './sequence-paxos/sequence-paxos.js';
export { ComposedStorage, type PaxosState, type Sequence } from './storage/composed-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
export { Storage, type StorageOp } from './storage/storage.js';
export { describeInvalidMessage, validateMessage } from './validate-message.js';
export { Prng } from './prng.js';
