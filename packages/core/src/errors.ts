import type { ClusterConfig } from './config.js';
import type { NodeId } from './node-id.js';

/** ConfigError is thrown for an invalid cluster or server configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'InvalidConfig';
}

/** ProposeErrorCode says why a proposal or reconfiguration was refused. */
export type ProposeErrorCode = 'PendingReconfig' | 'BufferFull';

/**
 * ProposeError is thrown by `append` and `reconfigure` when the proposal cannot be taken. It hands the
 * rejected entry (or next configuration) back, so the caller can retry it elsewhere.
 */
export class ProposeError<T = unknown> extends Error {
  override readonly name = 'ProposeError';
  constructor(
    readonly code: ProposeErrorCode,
    /** The entry that was refused, when an entry was proposed. */
    readonly entry: T | undefined,
    /** The configuration that was refused, when a reconfiguration was proposed. */
    readonly nextConfig?: ClusterConfig,
  ) {
    super(
      code === 'PendingReconfig'
        ? 'a reconfiguration (stop sign) is already accepted: this configuration takes no more proposals'
        : 'the proposal buffer is full: no leader has taken the pending proposals yet',
    );
  }
}

/** CompactionErrorCode says why a trim or snapshot was refused. */
export type CompactionErrorCode = 'UndecidedIndex' | 'TrimmedIndex' | 'NotAllDecided' | 'NotCurrentLeader';

/** CompactionError is thrown by `trim` and `snapshot`; `idx` or `leader` tells what limit was hit. */
export class CompactionError extends Error {
  override readonly name = 'CompactionError';
  constructor(
    readonly code: CompactionErrorCode,
    /** The limiting index: the decided index, the compacted index, or the index all servers accepted. */
    readonly idx?: number,
    /** With NotCurrentLeader: the leader this server knows of (0 if none). */
    readonly leader?: NodeId,
  ) {
    super(describeCompaction(code, idx, leader));
  }
}

function describeCompaction(code: CompactionErrorCode, idx?: number, leader?: NodeId): string {
  switch (code) {
    case 'UndecidedIndex':
      return `cannot compact past the decided index ${idx}`;
    case 'TrimmedIndex':
      return `index is already compacted (compacted index ${idx})`;
    case 'NotAllDecided':
      return `not every server has accepted up to that index (all accepted up to ${idx})`;
    case 'NotCurrentLeader':
      return `only the leader may trim (current leader: ${leader ?? 0})`;
  }
}

/** StorageError is thrown when a Storage cannot read or write; the replica must be rebuilt from storage. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code = 'StorageFailure';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** InvariantError is thrown when an internal invariant is violated; the replica never continues past it. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  readonly code = 'InvariantViolated';
}
