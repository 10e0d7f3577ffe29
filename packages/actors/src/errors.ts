/** ReplicaErrorCode says why the replica refused or dropped a client request. */
export type ReplicaErrorCode =
  /** The replica was stopped (`replica.stop()` or `omnipaxos.stop`) before the entry was decided. */
  | 'Shutdown'
  /** A decided stop sign ended the configuration and this server is not in the next one. */
  | 'StopSign'
  /** Too many proposals are held back (no leader known or a reconfiguration is running). */
  | 'Overflow'
  /** The supervisor spent its restart budget and escalated to its parent. */
  | 'Escalated';

/** ReplicaError is how a client `append` promise rejects: `code` tells why, `rid` names the request. */
export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
  constructor(
    readonly code: ReplicaErrorCode,
    /** The request id of the refused proposal, when one proposal is concerned. */
    readonly rid?: string,
    options?: { cause?: unknown },
  ) {
    super(describeReplicaError(code), options);
  }
}

function describeReplicaError(code: ReplicaErrorCode): string {
  switch (code) {
    case 'Shutdown':
      return 'the replica was stopped before the entry was decided';
    case 'StopSign':
      return 'the configuration ended (decided stop sign) and this server is not in the next one';
    case 'Overflow':
      return 'too many proposals are held back while no leader is known or a reconfiguration runs';
    case 'Escalated':
      return 'the replica supervisor spent its restart budget and escalated the failure to its parent';
  }
}

/** SupervisionError is what a supervisor escalates when its restart budget is spent; `cause` is the last crash. */
export class SupervisionError extends Error {
  override readonly name = 'SupervisionError';
  readonly code = 'RestartBudgetSpent';
  constructor(
    readonly pid: number,
    readonly restarts: number,
    options?: { cause?: unknown },
  ) {
    super(`replica ${pid}: ${restarts} restarts within the restart window, giving up`, options);
  }
}
