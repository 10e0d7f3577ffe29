import type { Ballot } from './ballot.js';

/** Role is whether a Sequence Paxos replica leads or follows. */
export type Role = 'Leader' | 'Follower';

/** Phase is where a replica is in the protocol: Prepare, Accept, Recover (after a restart) or None. */
export type Phase = 'Prepare' | 'Accept' | 'Recover' | 'None';

/** PaxosStatus is what leader election needs to know of its Sequence Paxos sibling. */
export interface PaxosStatus {
  role: Role;
  phase: Phase;
  promise: Ballot;
  /**
   * While leading: the highest ballot a peer refused ours with. A server that crashed while leading
   * keeps its own higher promise, and a server that promised a leader which then died for good keeps
   * that one; both refuse the current leader. Leader election then takes a ballot above it when
   * nobody leads with it (no heartbeat shows a server happy under it), so that server can rejoin.
   */
  rejectedBy?: Ballot;
}
