import { BallotLeaderElection, type PaxosStatus, SERVER_DEFAULTS } from '@omnipaxos/core';
import { driverLogic } from './actor-logic.js';
import type { ElectionActorEvent } from '../events.js';
import type { ChildActorInput } from './paxos-driver.js';

/** ElectionActorInput is what the supervisor hands a leader-election actor when it spawns one. */
export type ElectionActorInput<T> = ChildActorInput<T>;

/**
 * ElectionDriver runs Ballot Leader Election on ticks: every electionTickTimeout ticks it ends a
 * heartbeat round with the latest status its Paxos sibling reported, and tells the supervisor (which
 * routes it to the Paxos sibling) `omnipaxos.leader { ballot }` when this server should lead.
 */
export class ElectionDriver<T> {
  private ble: BallotLeaderElection | undefined;
  private ticks = 0;
  private status: PaxosStatus | undefined;
  private readonly timeout: number;

  constructor(private readonly input: ElectionActorInput<T>) {
    this.timeout = input.server.electionTickTimeout ?? SERVER_DEFAULTS.electionTickTimeout;
  }

  /** start builds the election, recovering the leader from the stored promise if there is one. */
  start(): void {
    const { pid, config, server, storage } = this.input;
    const promise = storage.getPromise();
    this.ble = new BallotLeaderElection(
      {
        configurationId: config.configurationId,
        pid,
        peers: config.nodes.filter((p) => p !== pid),
        priority: server.leaderPriority ?? 0,
        ...(config.flexibleQuorum ? { flexibleQuorum: config.flexibleQuorum } : {}),
      },
      promise && promise.n > 0 ? promise : undefined,
    );
    this.sendOutgoing(this.ble);
    // Alone in its configuration, this server leads at once (there is no heartbeat to wait for).
    const ballot = this.ble.electAlone();
    if (ballot) this.input.parent.send({ type: 'omnipaxos.leader', incarnation: this.input.incarnation, ballot });
  }

  /** handle applies one event and sends the heartbeats it produced. */
  handle(event: ElectionActorEvent): void {
    if (event.type === 'omnipaxos.crash') throw event.error;
    const ble = this.ble;
    if (!ble) return;
    if (event.type === 'omnipaxos.tick') this.tickTimeout(ble, event.ticks ?? 1);
    else if (event.type === 'omnipaxos.message') ble.handle(event.message);
    else if (event.type === 'omnipaxos.status') this.status = event.status;
    this.sendOutgoing(ble);
  }

  /** ticksToTimeout is how many ticks may pass before the next heartbeat round is due (at least 1). */
  ticksToTimeout(): number {
    return Math.max(1, this.timeout - this.ticks);
  }

  /** stop ends the election: later events are ignored. */
  stop(): void {
    this.ble = undefined;
  }

  private tickTimeout(ble: BallotLeaderElection, ticks: number): void {
    this.ticks += ticks;
    if (this.ticks < this.timeout) return;
    this.ticks = 0;
    const ballot = ble.hbTimeout(this.status);
    if (ballot) this.input.parent.send({ type: 'omnipaxos.leader', incarnation: this.input.incarnation, ballot });
  }

  private sendOutgoing(ble: BallotLeaderElection): void {
    for (const m of ble.takeOutgoingMessages()) this.input.transport.send(m);
  }
}

/** electionActorLogic is the leader-election actor (wraps BallotLeaderElection), driven by `omnipaxos.tick`. */
export function electionActorLogic<T>() {
  return driverLogic<ElectionDriver<T>, ElectionActorEvent, ElectionActorInput<T>>((input) => new ElectionDriver(input));
}
