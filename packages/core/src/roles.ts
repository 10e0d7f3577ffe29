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
   * While leading: the highest ballot that a peer holding it as its own refused ours with. A server
   * that crashed while leading keeps its own higher promise and refuses the current leader; leader
   * election then takes a ballot above it (when nobody actually leads with it) so that server can
   * rejoin. A follower that promised a leader which then crashed rejoins once that leader restarts.
   */
  rejectedBy?: Ballot;
}
