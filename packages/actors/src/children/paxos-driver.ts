import {
  type ClusterConfig,
  type LogEntry,
  type NodeId,
  type PaxosStatus,
  type PersistMark,
  ProposeError,
  type ProposeErrorCode,
  SequencePaxos,
  type ServerConfig,
  ballotEquals,
  SERVER_DEFAULTS,
  sendsBeforeFlush,
} from '@omnipaxos/core';
import type { ChildReport, PaxosActorEvent } from '../events.js';
import type { ReplicaStorage, ReplicatedEntry } from '../replica/replicated-entry.js';
import type { Transport } from '../network/transport.js';

/** ReportTarget is where a child actor sends its reports: its supervisor. */
export interface ReportTarget<T> {
  send(event: ChildReport<T>): void;
}

/** ChildActorInput is what the supervisor hands each child (leader election or Paxos) it spawns. */
export interface ChildActorInput<T> {
  pid: NodeId;
  config: ClusterConfig;
  server: Omit<ServerConfig, 'pid'>;
  /** The configuration's storage (leader election reads the recovered promise from it once). */
  storage: ReplicaStorage<T>;
  transport: Transport<ReplicatedEntry<T>>;
  parent: ReportTarget<T>;
  /** Which start of this child it is: reports from an older incarnation are ignored. */
  incarnation: number;
}

/** PaxosActorInput is what the supervisor hands a Paxos actor when it spawns one. */
export interface PaxosActorInput<T> extends ChildActorInput<T> {
  /** Local index from which decided entries are still to be reported (what the supervisor has seen). */
  reportFrom: number;
}

/**
 * PaxosDriver is the Paxos actor's state: a SequencePaxos and its tick counters. Events are applied
 * synchronously; once per batch (a microtask) `drain` takes the outgoing messages and the newly
 * decided entries and calls `storage.flush()` (flushes are chained, so batches go out in order).
 *
 * With a storage that flushes, the leader is pipelined (`deferLeaderAccept`, as etcd's leader writes
 * in parallel with its followers): the leader's AcceptDecide and Decide go out before its own flush,
 * the leader counts its own copy toward the quorum only once that flush completed (`persisted`), and
 * everything else — promises, accepted acknowledgements, syncs — is sent only after the flush. So an
 * entry is decided only when a quorum holds it durably, and decided entries are reported at once.
 * Without `flush` (memory storage) every write is as durable as it gets when made: all goes at once.
 */
export class PaxosDriver<T> {
  private sp: SequencePaxos<ReplicatedEntry<T>> | undefined;
  private resendTicks = 0;
  private flushTicks = 0;
  private readonly resendTimeout: number;
  private readonly flushTimeout: number;
  private reportedIdx: number;
  private lastStatus = '';
  private drainScheduled = false;
  private failed = false;
  private flushChain: Promise<void> = Promise.resolve();
  /** Flushes in progress whose drained messages wait for them: later messages wait too (link order). */
  private heldBatches = 0;
  /** The last leader mark handed to a flush: a drain that writes nothing new need not flush. */
  private lastMark: PersistMark | undefined;
  private crash: (error: unknown) => void = () => {};

  constructor(private readonly input: PaxosActorInput<T>) {
    this.resendTimeout = input.server.resendMessageTickTimeout ?? SERVER_DEFAULTS.resendMessageTickTimeout;
    this.flushTimeout = input.server.flushBatchTickTimeout ?? SERVER_DEFAULTS.flushBatchTickTimeout;
    this.reportedIdx = input.reportFrom;
  }

  /** start builds the SequencePaxos from storage (a stored promise makes it recover) and publishes its state. */
  start(crash: (error: unknown) => void): void {
    this.crash = crash;
    const { pid, config, server, storage } = this.input;
    this.sp = new SequencePaxos<ReplicatedEntry<T>>(
      {
        configurationId: config.configurationId,
        pid,
        nodes: config.nodes,
        ...(config.flexibleQuorum ? { flexibleQuorum: config.flexibleQuorum } : {}),
        ...(server.batchSize !== undefined ? { batchSize: server.batchSize } : {}),
        ...(server.bufferSize !== undefined ? { bufferSize: server.bufferSize } : {}),
        ...(server.maxSyncEntries !== undefined ? { maxSyncEntries: server.maxSyncEntries } : {}),
        ...(server.maxSyncBytes !== undefined ? { maxSyncBytes: server.maxSyncBytes } : {}),
        ...(storage.flush !== undefined ? { deferLeaderAccept: true } : {}),
      },
      storage,
    );
    this.scheduleDrain();
  }

  /** handle applies one event; it throws (failing the actor) on a storage or invariant error. */
  handle(event: PaxosActorEvent<T>): void {
    if (event.type === 'omnipaxos.crash') {
      this.failed = true;
      throw event.error;
    }
    const sp = this.sp;
    if (!sp || this.failed) return;
    try {
      switch (event.type) {
        case 'omnipaxos.tick':
          this.tickTimeouts(sp, event.ticks ?? 1);
          break;
        case 'omnipaxos.message':
          if (event.message.kind === 'SequencePaxos') sp.handle(event.message);
          break;
        case 'omnipaxos.leader':
          sp.handleLeader(event.ballot);
          break;
        case 'omnipaxos.append':
          this.appendEntries(sp, event.entries);
          break;
        case 'omnipaxos.reconfigure':
          this.reconfigure(sp, event.nextConfig, event.metadata);
          break;
        case 'omnipaxos.reconnected':
          sp.reconnected(event.peer);
          break;
      }
    } catch (err) {
      this.failed = true;
      throw err;
    }
    this.scheduleDrain();
  }

  /** ticksToTimeout is how many ticks may pass before the resend or flush timeout is due (at least 1). */
  ticksToTimeout(): number {
    return Math.max(1, Math.min(this.resendTimeout - this.resendTicks, this.flushTimeout - this.flushTicks));
  }

  /** stop ends the actor's work: later events, drains and completed flushes send and report nothing. */
  stop(): void {
    this.failed = true;
  }

  private tickTimeouts(sp: SequencePaxos<ReplicatedEntry<T>>, ticks: number): void {
    this.resendTicks += ticks;
    if (this.resendTicks >= this.resendTimeout) {
      this.resendTicks = 0;
      sp.resendMessageTimeout();
    }
    this.flushTicks += ticks;
    if (this.flushTicks >= this.flushTimeout) {
      this.flushTicks = 0;
      sp.flushBatchTimeout();
    }
  }

  private appendEntries(sp: SequencePaxos<ReplicatedEntry<T>>, entries: ReplicatedEntry<T>[]): void {
    let rejected: ReplicatedEntry<T>[] | undefined;
    let code: ProposeErrorCode = 'BufferFull';
    for (const e of entries) {
      try {
        sp.append(e);
      } catch (err) {
        if (!(err instanceof ProposeError)) throw err;
        (rejected ??= []).push(e);
        code = err.code;
      }
    }
    if (rejected) this.input.parent.send({ type: 'omnipaxos.rejected', incarnation: this.input.incarnation, entries: rejected, code });
  }

  private reconfigure(sp: SequencePaxos<ReplicatedEntry<T>>, next: ClusterConfig, metadata?: Uint8Array): void {
    try {
      sp.reconfigure(next, metadata);
    } catch (err) {
      // A second stop sign or an invalid configuration is the caller's mistake, not a crash.
      if (!(err instanceof ProposeError) && !(err instanceof Error && err.name === 'ConfigError')) throw err;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const sp = this.sp;
    if (!sp || this.failed) return;
    let messages;
    let decided: LogEntry<ReplicatedEntry<T>, never>[] | undefined;
    let fromIdx = this.reportedIdx;
    let mark: PersistMark | undefined;
    try {
      // A drain ends the core's batch: the events of one microtask (e.g. one packed hand-over of
      // appends from the supervisor) are a batch already, so a partial batch is not held for the
      // flush timeout.
      sp.flushBatchTimeout();
      messages = sp.takeOutgoingMessages();
      mark = sp.persistMark();
      const decidedIdx = sp.getDecidedIdx();
      if (decidedIdx > this.reportedIdx) {
        decided = sp.readDecidedSuffix(this.reportedIdx) ?? [];
        fromIdx = this.reportedIdx;
        this.reportedIdx = decidedIdx;
      }
      this.reportStatus(sp);
    } catch (err) {
      this.fail(err);
      return;
    }
    const { transport, parent, incarnation } = this.input;
    // Decided means held durably by a quorum (see the class comment): report it now.
    if (decided && decided.length > 0) parent.send({ type: 'omnipaxos.decided', incarnation, fromIdx, entries: decided });
    const flush = this.input.storage.flush?.bind(this.input.storage);
    if (!flush) {
      for (const m of messages) transport.send(m);
      return;
    }
    const held: typeof messages = [];
    for (const m of messages) {
      if (this.heldBatches === 0 && held.length === 0 && sendsBeforeFlush(m)) transport.send(m);
      else held.push(m);
    }
    // A flush is needed only for messages that wait for it or for leader writes not yet counted.
    const newMark = mark !== undefined && (this.lastMark === undefined || !ballotEquals(mark.n, this.lastMark.n) || mark.idx > this.lastMark.idx);
    if (held.length === 0 && !newMark) return;
    if (newMark) this.lastMark = mark;
    if (held.length > 0) this.heldBatches++;
    // The flush starts now (overlapping the ones still running: a later fsync never waits for an
    // earlier one); only what follows it is chained, so batches go out in order.
    let flushed: Promise<void>;
    try {
      flushed = flush();
    } catch (err) {
      flushed = Promise.reject(err);
    }
    // The chain reaches this flush only after the earlier ones: until then its rejection is handled
    // there, not reported as unhandled (which would end the process instead of failing the actor).
    flushed.catch(() => undefined);
    this.flushChain = this.flushChain
      .then(() => flushed)
      .then(() => {
        if (held.length > 0) this.heldBatches--;
        if (this.failed) return;
        for (const m of held) transport.send(m);
        if (mark !== undefined) {
          const decidedBefore = sp.getDecidedIdx();
          sp.persisted(mark);
          // Drain again only if counting our durable copy decided something (Decides to send, entries to report).
          if (sp.getDecidedIdx() !== decidedBefore) this.scheduleDrain();
        }
      })
      .catch((err: unknown) => this.fail(err));
  };

  private reportStatus(sp: SequencePaxos<ReplicatedEntry<T>>): void {
    const status: PaxosStatus = sp.getStatus();
    const leader = sp.getCurrentLeader();
    const key = `${status.role}|${status.phase}|${status.promise.n}|${status.promise.pid}|${leader?.pid}|${leader?.accepted}`;
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.input.parent.send({ type: 'omnipaxos.status', incarnation: this.input.incarnation, status, leader });
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.crash(err);
  }
}
