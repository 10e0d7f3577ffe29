import type { Ballot, ClusterConfig, NodeId } from '@omnipaxos/core';
import { ElectionDriver } from '../children/election-actor.js';
import { PaxosDriver, type ReportTarget } from '../children/paxos-driver.js';
import { ReplicaError, type ReplicaErrorCode, SupervisionError } from '../errors.js';
import type { ChildReport, ClientRequest, SupervisorEmitted } from '../events.js';
import type { AppendReply, ReplicaInternalEvent, ReplyTarget } from '../replica/replica-events.js';
import type { MigrationMessage } from '../reconfiguration/migration-messages.js';
import type { ReplicatedEntry } from '../replica/replicated-entry.js';
import type { SupervisorInput } from './supervisor-input.js';
import { type Plan, SupervisorRuntime } from './supervisor-runtime.js';

/** HostCallbacks connect a ReplicaHost to its actor: emitting, waking itself, replying to clients. */
export interface HostCallbacks<T> {
  /** emit hands an event to the actor's listeners and its parent. */
  emit(event: SupervisorEmitted<T>): void;
  /** wake sends the actor an internal event from outside a step (a flush callback, a transport delivery). */
  wake(event: ReplicaInternalEvent<T>): void;
  /** reply answers one append request. */
  reply(target: ReplyTarget, event: AppendReply): void;
}

/** HostOutcome is how a replica ended: still active, done (stopped or retired) or failed. */
export type HostOutcome =
  | { status: 'active' }
  | { status: 'done'; reason: 'stopped' | 'retired' }
  | { status: 'stopped' }
  | { status: 'error'; error: Error };

/** ReplicaSummary is a replica's snapshot context: small, plain data, what inspection shows. */
export interface ReplicaSummary {
  pid: NodeId;
  configurationId: number;
  mode: 'running' | 'migrating' | 'handover';
  role: 'Leader' | 'Follower' | undefined;
  phase: string | undefined;
  /** The ballot this server promised (n and leader pid), if any. */
  ballot: { n: number; pid: NodeId } | undefined;
  leader: NodeId | undefined;
  /** The next application index to deliver: every index below it was delivered to the parent. */
  delivered: number;
  /** Restarts of the Paxos + election pair within the current restart window. */
  restarts: number;
  /** Client requests not decided yet. */
  pending: number;
}

interface Pair<T> {
  incarnation: number;
  election: ElectionDriver<T>;
  paxos: PaxosDriver<T>;
  dead: boolean;
}

/**
 * ReplicaHost runs one node's replica inside one actor: the SupervisorRuntime decides what each event
 * means, and the host owns the lifecycle the supervisor statechart used to (start, restart after a
 * failure, respawn on a new configuration, escalate, retire, stop) and the Paxos and election
 * components, called directly (no actor hop per message). Work is done in steps: reports made during
 * a step are queued and handled before it ends; from outside a step they wake the actor.
 */
export class ReplicaHost<T> {
  readonly rt: SupervisorRuntime<T>;
  outcome: HostOutcome = { status: 'active' };
  private pair: Pair<T> | undefined;
  private inStep = false;
  private readonly reports: ChildReport<T>[] = [];
  private failure: { incarnation: number; error: unknown } | undefined;
  private respawnWanted = false;
  private readonly replies = new Map<string, ReplyTarget>();
  private delivered: number;
  private status: { role: ReplicaSummary['role']; phase: string; ballot: Ballot } | undefined;
  private requestCounter = 0;

  constructor(
    input: SupervisorInput<T>,
    private readonly cb: HostCallbacks<T>,
    /** Items below this application index were delivered before (a restored replica): not again. */
    private readonly skipBelow: number,
  ) {
    this.rt = new SupervisorRuntime<T>(input);
    this.delivered = skipBelow;
    this.rt.link.onMigration = (message) => {
      if (this.outcome.status === 'active') cb.wake({ type: 'omnipaxos.migrationMessage', message });
    };
  }

  /** start delivers a restored history and starts the pair of the current configuration. */
  start(): void {
    this.step(() => {
      this.apply(this.rt.startupPlan());
      if (this.rt.shouldRun()) this.spawnPair();
    });
  }

  /** tick advances the clock by `ticks` ticks. */
  tick(ticks: number): void {
    this.step(() => this.apply(this.rt.handleTick(ticks)));
  }

  /**
   * ticksToNext is how many ticks the next tick event may stand for: 1 while the supervisor has
   * per-tick work, else up to the next due timeout of the election, Paxos or a pending restart.
   */
  ticksToNext(): number {
    const rt = this.rt;
    if (rt.busy) return 1;
    let k = Number.POSITIVE_INFINITY;
    const p = this.pair;
    if (p && !p.dead) k = Math.min(p.election.ticksToTimeout(), p.paxos.ticksToTimeout());
    if (rt.restartAt !== undefined) k = Math.min(k, rt.restartAt - rt.now);
    return Number.isFinite(k) ? Math.max(1, k) : 1;
  }

  /** append takes client requests; those with a `replyTo` are answered there. */
  append(requests: ClientRequest<T>[], replyTo: ReplyTarget | undefined): void {
    if (replyTo) for (const r of requests) this.replies.set(r.rid, replyTo);
    this.step(() => this.apply(this.rt.handleAppend(requests)));
  }

  /** nextRequestId names a request sent without one. */
  nextRequestId(): string {
    return `${this.rt.pid}:${this.requestCounter++}`;
  }

  /** reconfigure proposes a stop sign naming `nextConfig`. */
  reconfigure(nextConfig: ClusterConfig, metadata: Uint8Array | undefined): void {
    this.step(() => this.rt.proposeReconfiguration(nextConfig, metadata));
  }

  /** compact snapshots the finished configurations through `upTo`. */
  compact(upTo: number | undefined): void {
    this.step(() => this.apply(this.rt.compact(upTo)));
  }

  /** crash makes one component fail with `error` (fault injection). */
  crash(child: 'paxos' | 'election', error: unknown): void {
    this.step(() => {
      const p = this.pair;
      if (!p || p.dead) return;
      this.toChild(p, () => (child === 'paxos' ? p.paxos : p.election).handle({ type: 'omnipaxos.crash', error }));
    });
  }

  /** report handles a component's report that arrived through the actor's mailbox. */
  report(report: ChildReport<T>): void {
    this.step(() => this.reports.push(report));
  }

  /** migration takes a reconfiguration handover message that arrived from the transport. */
  migration(message: MigrationMessage<ReplicatedEntry<T>>): void {
    this.step(() => this.apply(this.rt.handleMigration(message)));
  }

  /** wakeUp runs an empty step (it handles a failure recorded outside a step). */
  wakeUp(): void {
    this.step(() => undefined);
  }

  /** stop ends the replica: no more sends, unregistered from the transport, pending requests failed. */
  stop(status: 'stopped' | 'done'): void {
    if (this.outcome.status !== 'active') return;
    this.finish(status === 'done' ? { status: 'done', reason: 'stopped' } : { status: 'stopped' }, 'Shutdown');
  }

  /** summary is the replica's inspection view. */
  summary(): ReplicaSummary {
    const rt = this.rt;
    const st = this.status;
    return {
      pid: rt.pid,
      configurationId: rt.config.configurationId,
      mode: rt.mode,
      role: st?.role,
      phase: st?.phase,
      ballot: st && st.ballot.n > 0 ? { n: st.ballot.n, pid: st.ballot.pid } : undefined,
      leader: rt.leader,
      delivered: this.delivered,
      restarts: rt.restarts.length,
      pending: rt.book.size,
    };
  }

  private step(fn: () => void): void {
    if (this.outcome.status !== 'active') return;
    const nested = this.inStep;
    this.inStep = true;
    try {
      fn();
      if (!nested) this.settle();
    } finally {
      if (!nested) this.inStep = false;
    }
  }

  /** settle handles queued reports and failures, restarts or stops the pair, and ends the replica if due. */
  private settle(): void {
    for (;;) {
      const report = this.reports.shift();
      if (report) {
        if (report.type === 'omnipaxos.status' && report.incarnation === this.rt.incarnation) {
          this.status = { role: report.status.role, phase: report.status.phase, ballot: report.status.promise };
        }
        this.apply(this.rt.handleReport(report));
        continue;
      }
      const f = this.failure;
      if (f) {
        this.failure = undefined;
        if (f.incarnation === this.rt.incarnation) this.apply({ emits: this.rt.handleChildFailure(f.error).emits });
        continue;
      }
      // The runtime detached the pair (failure, migration, handover, new configuration): stop it.
      if (this.pair && this.pair.incarnation !== this.rt.incarnation) this.stopPair();
      if (this.respawnWanted) {
        this.respawnWanted = false;
        if (this.rt.mode === 'running' && !this.rt.escalated && !this.rt.retired) {
          this.stopPair();
          this.spawnPair();
          continue;
        }
      }
      break;
    }
    const rt = this.rt;
    if (rt.escalated) {
      const error = new SupervisionError(rt.pid, rt.restarts.length, { cause: rt.lastError });
      this.cb.emit({ type: 'omnipaxos.escalated', pid: rt.pid, error });
      this.finish({ status: 'error', error }, 'Escalated');
    } else if (rt.retired) {
      this.finish({ status: 'done', reason: 'retired' }, 'StopSign');
    }
  }

  private apply(plan: Plan<T>): void {
    for (const e of plan.emits) this.emit(e);
    if (plan.respawn) this.respawnWanted = true;
  }

  private emit(e: SupervisorEmitted<T>): void {
    switch (e.type) {
      case 'omnipaxos.delivered': {
        let items = e.items;
        const first = items[0];
        if (first === undefined) return;
        if (first.idx < this.skipBelow) {
          items = items.filter((i) => i.idx >= this.skipBelow);
          if (items.length === 0) return;
          e = { ...e, items };
        }
        this.delivered = Math.max(this.delivered, (items[items.length - 1]?.idx ?? -1) + 1);
        if (this.replies.size > 0) {
          for (const item of items) {
            const to = item.rid === undefined ? undefined : this.replies.get(item.rid);
            if (to && item.rid !== undefined) {
              this.replies.delete(item.rid);
              this.cb.reply(to, { type: 'omnipaxos.appended', requestId: item.rid, idx: item.idx });
            }
          }
        }
        break;
      }
      case 'omnipaxos.failed':
        if (this.replies.size > 0) this.failReplies(e.rids, e.code);
        break;
      case 'omnipaxos.snapshot':
        if (e.origin === 'restored' && e.snapshot.appEnd <= this.skipBelow) return;
        break;
    }
    this.cb.emit(e);
  }

  private failReplies(rids: readonly string[], code: ReplicaErrorCode): void {
    for (const rid of rids) {
      const to = this.replies.get(rid);
      if (!to) continue;
      this.replies.delete(rid);
      this.cb.reply(to, { type: 'omnipaxos.appendFailed', requestId: rid, error: new ReplicaError(code, rid) });
    }
  }

  private spawnPair(): void {
    const rt = this.rt;
    const incarnation = rt.incarnation;
    const pair = {} as Pair<T>;
    const parent: ReportTarget<T> = {
      send: (report) => {
        if (pair.dead || this.outcome.status !== 'active') return;
        if (this.inStep) this.reports.push(report);
        else this.cb.wake({ type: 'omnipaxos.report', report });
      },
    };
    const common = {
      pid: rt.pid,
      config: rt.config,
      server: rt.input.server ?? {},
      storage: rt.storage,
      transport: rt.input.transport,
      parent,
      incarnation,
    };
    pair.incarnation = incarnation;
    pair.dead = false;
    pair.election = new ElectionDriver<T>(common);
    pair.paxos = new PaxosDriver<T>({ ...common, reportFrom: rt.localDelivered });
    this.pair = pair;
    rt.link.election = { send: (e) => this.toChild(pair, () => pair.election.handle(e)) };
    rt.link.paxos = { send: (e) => this.toChild(pair, () => pair.paxos.handle(e)) };
    this.toChild(pair, () => {
      pair.election.start();
      pair.paxos.start((error) => this.childFailed(pair, error));
    });
  }

  private toChild(pair: Pair<T>, fn: () => void): void {
    if (pair.dead) return;
    try {
      fn();
    } catch (error) {
      this.childFailed(pair, error);
    }
  }

  private childFailed(pair: Pair<T>, error: unknown): void {
    if (pair.dead || this.outcome.status !== 'active') return;
    pair.dead = true;
    pair.election.stop();
    pair.paxos.stop();
    this.failure = { incarnation: pair.incarnation, error };
    if (!this.inStep) this.cb.wake({ type: 'omnipaxos.childFailed' });
  }

  private stopPair(): void {
    const p = this.pair;
    if (!p) return;
    p.dead = true;
    p.election.stop();
    p.paxos.stop();
    this.pair = undefined;
  }

  private finish(outcome: HostOutcome, code: ReplicaErrorCode): void {
    this.stopPair();
    this.rt.link.close();
    this.outcome = outcome;
    const rids = this.rt.book.removeAll();
    if (rids.length > 0) {
      this.failReplies(rids, code);
      this.cb.emit({ type: 'omnipaxos.failed', pid: this.rt.pid, rids, code });
    }
    // Requests answered elsewhere (refused at once) are settled already; any left here fail too.
    if (this.replies.size > 0) this.failReplies([...this.replies.keys()], code);
  }
}
