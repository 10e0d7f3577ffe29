import { type Ballot, ballotEquals, ballotGreater, compareBallots, copyBallot } from '../ballot.js';
import type { FlexibleQuorum } from '../config.js';
import type { BLEMessage, BLEMsg } from '../messages.js';
import type { NodeId } from '../node-id.js';
import { Quorum } from '../quorum.js';
import type { PaxosStatus } from '../roles.js';
import { validateMessage } from '../validate-message.js';

/** BLEConfig is what Ballot Leader Election needs: who we are, who the peers are, our priority. */
export interface BLEConfig {
  configurationId: number;
  pid: NodeId;
  peers: NodeId[];
  priority?: number;
  flexibleQuorum?: FlexibleQuorum;
}

type HeartbeatReply = Extract<BLEMsg, { type: 'HeartbeatReply' }>;

const INITIAL_ROUND = 1;
const RECOVERY_ROUND = 0;

/**
 * BallotLeaderElection elects a leader that is quorum-connected. Each heartbeat round it asks every
 * peer for its ballot, its leader and whether it is "happy" (sees a leader that can make progress);
 * at the round's end (`hbTimeout`) a server takes over with a higher ballot only when it is itself
 * quorum-connected and neither it nor any peer it hears from is happy. This is what keeps OmniPaxos
 * live under partial connectivity (the quorum-loss, constrained and chained scenarios).
 */
export class BallotLeaderElection {
  private readonly configurationId: number;
  private readonly pid: NodeId;
  private readonly peers: NodeId[];
  private readonly quorum: Quorum;
  private hbRound = 0;
  private replies: HeartbeatReply[] = [];
  private prevReplies: HeartbeatReply[] = [];
  private currentBallot: Ballot;
  private leader: Ballot;
  private happy = true;
  private outgoing: BLEMessage[] = [];

  /** `recoveredLeader` is the promise found in storage after a restart, if any. */
  constructor(config: BLEConfig, recoveredLeader?: Ballot) {
    this.configurationId = config.configurationId;
    this.pid = config.pid;
    this.peers = [...config.peers];
    this.quorum = new Quorum(this.peers.length + 1, config.flexibleQuorum);
    this.currentBallot = {
      configId: config.configurationId,
      n: INITIAL_ROUND,
      priority: config.priority ?? 0,
      pid: config.pid,
    };
    if (recoveredLeader && recoveredLeader.n > 0) {
      this.currentBallot.n = RECOVERY_ROUND;
      this.leader = copyBallot(recoveredLeader);
    } else {
      this.leader = copyBallot(this.currentBallot);
    }
    this.newHbRound();
  }

  /** setPriority changes this server's priority for the ballots it takes from now on. */
  setPriority(priority: number): void {
    this.currentBallot.priority = priority;
  }

  /** getCurrentBallot returns this server's own ballot. */
  getCurrentBallot(): Ballot {
    return copyBallot(this.currentBallot);
  }

  /** getLeader returns the highest ballot this server has seen lead. */
  getLeader(): Ballot {
    return copyBallot(this.leader);
  }

  /** isHappy tells whether this server sees a leader that can make progress. */
  isHappy(): boolean {
    return this.happy;
  }

  /** getHeartbeatReplies returns the replies of the last completed round. */
  getHeartbeatReplies(): readonly HeartbeatReply[] {
    return this.prevReplies;
  }

  /** takeOutgoingMessages drains the heartbeats waiting to be sent. */
  takeOutgoingMessages(): BLEMessage[] {
    const out = this.outgoing;
    this.outgoing = [];
    return out;
  }

  /** handle takes one heartbeat addressed to this server. */
  handle(m: BLEMessage): void {
    if (!validateMessage(m) || m.kind !== 'BLE' || m.to !== this.pid || !this.peers.includes(m.from)) return;
    const msg = m.msg;
    if (msg.type === 'HeartbeatRequest') this.handleRequest(m.from, msg.round);
    else if (msg.type === 'HeartbeatReply') this.handleReply(msg);
  }

  /**
   * electAlone returns the ballot to lead with at once when this server is alone in its
   * configuration (there is no heartbeat to wait for); undefined when it has peers. `paxos` is the
   * Sequence Paxos sibling's status, as for `hbTimeout`.
   */
  electAlone(paxos?: PaxosStatus): Ballot | undefined {
    return this.peers.length === 0 ? this.hbTimeout(paxos) : undefined;
  }

  /**
   * hbTimeout ends a heartbeat round and starts the next. Returns a ballot when this server should
   * lead with it (its Sequence Paxos sibling then calls `handleLeader`). `paxos` is the sibling's
   * status; without it the server judges its quorum by its heartbeats alone.
   */
  hbTimeout(paxos?: PaxosStatus): Ballot | undefined {
    this.updateLeader();
    if (paxos && ballotGreater(paxos.promise, this.leader)) {
      // Sequence Paxos promised a newer leader than any heartbeat showed: this round's replies
      // predate it, so follow it and judge it next round rather than take over on stale replies.
      // (The Rust original applies this after the takeover check; doing it first avoids a needless
      // election, and lost in-flight proposals, right after a restart.)
      this.leader = copyBallot(paxos.promise);
      // Our own ballot only while Sequence Paxos really leads with it: a server that crashed while
      // leading recovers with its old ballot as promise and must not advertise it as current.
      if (paxos.promise.pid === this.pid && paxos.role === 'Leader') this.currentBallot = copyBallot(paxos.promise);
      this.happy = true;
    } else {
      this.updateHappiness(paxos);
      this.checkTakeover();
      this.checkRejection(paxos);
    }
    this.newHbRound();
    return ballotEquals(this.leader, this.currentBallot) ? copyBallot(this.currentBallot) : undefined;
  }

  private newHbRound(): void {
    this.prevReplies = this.replies;
    this.replies = [];
    this.hbRound += 1;
    for (const to of this.peers) {
      this.outgoing.push({ kind: 'BLE', from: this.pid, to, msg: { type: 'HeartbeatRequest', round: this.hbRound } });
    }
  }

  private updateLeader(): void {
    for (const r of this.replies) {
      if (ballotGreater(r.ballot, this.leader)) this.leader = copyBallot(r.ballot);
    }
  }

  private updateHappiness(paxos?: PaxosStatus): void {
    if (ballotEquals(this.leader, this.currentBallot)) {
      let potentialFollowers = 0;
      for (const r of this.replies) if (compareBallots(r.leader, this.currentBallot) <= 0) potentialFollowers += 1;
      const inAccept = paxos?.role === 'Leader' && paxos.phase === 'Accept';
      const canFormQuorum = inAccept
        ? this.quorum.isAcceptQuorum(potentialFollowers + 1)
        : this.quorum.isPrepareQuorum(potentialFollowers + 1);
      this.happy = canFormQuorum || this.replies.some((r) => ballotGreater(r.leader, this.currentBallot) && r.happy);
    } else {
      this.happy = this.replies.some((r) => ballotEquals(r.ballot, this.leader) && r.happy);
    }
  }

  private checkTakeover(): void {
    if (this.happy) return;
    const allNeighborsUnhappy = this.replies.every((r) => !r.happy);
    const quorumConnected = this.quorum.isPrepareQuorum(this.replies.length + 1);
    if (allNeighborsUnhappy && quorumConnected) {
      this.currentBallot.n = this.leader.n + 1;
      this.leader = copyBallot(this.currentBallot);
      this.happy = true;
    }
  }

  /**
   * checkRejection: we lead, but a peer refuses us because it holds a higher promise that nobody
   * leads with (it crashed while leading it, or promised a leader that is gone). Take a ballot above
   * it so that the peer can rejoin — unless a server we hear holds that ballot, or is happy under a
   * leader at least as high (a live leader beyond a middle server: competing would make us take turns).
   */
  private checkRejection(paxos?: PaxosStatus): void {
    const rejected = paxos?.rejectedBy;
    if (!rejected || !ballotEquals(this.leader, this.currentBallot) || !ballotGreater(rejected, this.currentBallot)) return;
    if (this.replies.some((r) => compareBallots(r.ballot, rejected) >= 0)) return;
    // A server that crashed while leading may still report itself happy under its own old ballot.
    if (this.replies.some((r) => r.happy && r.ballot.pid !== rejected.pid && compareBallots(r.leader, rejected) >= 0)) return;
    this.currentBallot.n = rejected.n + 1;
    this.leader = copyBallot(this.currentBallot);
    this.happy = true;
  }

  private handleRequest(from: NodeId, round: number): void {
    this.outgoing.push({
      kind: 'BLE',
      from: this.pid,
      to: from,
      msg: {
        type: 'HeartbeatReply',
        round,
        ballot: copyBallot(this.currentBallot),
        leader: copyBallot(this.leader),
        happy: this.happy,
      },
    });
  }

  private handleReply(rep: HeartbeatReply): void {
    if (rep.round === this.hbRound && rep.ballot.configId === this.configurationId) {
      if (!this.replies.some((r) => r.ballot.pid === rep.ballot.pid)) this.replies.push(rep);
    }
  }
}
