import { type ClusterConfig, type FlexibleQuorum, MemoryStorage, type NodeId, type ServerConfig } from '@omnipaxos/core';
import type { ChildReport, ClientRequest, SupervisorEmitted } from './events.js';
import { NodeLink } from './node-link.js';
import type { ReplicaStorage, ReplicatedEntry } from './replicated-entry.js';
import { RequestBook } from './request-book.js';
import { DEFAULT_SUPERVISION, type SupervisionPolicy, decideRestart } from './supervision-policy.js';
import type { Transport } from './transport.js';

/** SupervisorInput configures one node's replica supervisor (what `createReplica` and `spawn` take). */
export interface SupervisorInput<T> {
  pid: NodeId;
  /** The nodes of the first configuration. */
  nodes: NodeId[];
  /** The first configuration's id (default 1). */
  configurationId?: number;
  flexibleQuorum?: FlexibleQuorum;
  /** The storage of the first configuration; a restarted child recovers from it. */
  storage: ReplicaStorage<T>;
  /** Storage for each later configuration (default: a new MemoryStorage). */
  storageFor?: (configurationId: number) => ReplicaStorage<T>;
  transport: Transport<ReplicatedEntry<T>>;
  /** Core server settings (election/resend/flush timeouts in ticks, batch size, priority, buffer). */
  server?: Omit<ServerConfig, 'pid'>;
  /** Milliseconds of the xstate clock between two `omnipaxos.tick` events (default 10). */
  tickMs?: number;
  supervision?: Partial<SupervisionPolicy>;
  /** Most proposals held back while no leader is known or a reconfiguration runs (default 10 000). */
  maxHeldProposals?: number;
  /** Ticks before an undecided proposal is handed to Paxos again (default 50). */
  reproposeTicks?: number;
  /** How many decided entries the duplicate filter remembers (default 100 000). */
  dedupWindow?: number;
}

/** Plan is what one supervisor step asks the machine to do besides the child sends it did itself. */
export interface Plan<T> {
  emits: SupervisorEmitted<T>[];
  respawn?: boolean;
}

/**
 * SupervisorRuntime is the supervisor's mutable bookkeeping: current configuration and storage, child
 * incarnation, tick count, restart history, leader knowledge and the RequestBook. The statechart in
 * supervisor-machine.ts owns the lifecycle and the children; this class decides what each event means.
 */
export class SupervisorRuntime<T> {
  readonly pid: NodeId;
  readonly link: NodeLink<T>;
  readonly policy: SupervisionPolicy;
  readonly book: RequestBook<T>;
  readonly reproposeTicks: number;
  config: ClusterConfig;
  storage: ReplicaStorage<T>;
  incarnation = 0;
  now = 0;
  restarts: number[] = [];
  restartAt: number | undefined;
  leader: NodeId | undefined;
  accepting = false;
  reconfiguring = false;
  localDelivered = 0;
  lastError: unknown;
  /** escalated is set once the restart budget is spent; the machine then stops for good. */
  escalated = false;

  constructor(readonly input: SupervisorInput<T>) {
    this.pid = input.pid;
    this.link = new NodeLink(input.pid, input.transport);
    this.policy = { ...DEFAULT_SUPERVISION, ...input.supervision };
    this.book = new RequestBook<T>(input.pid, input.maxHeldProposals ?? 10_000, input.dedupWindow ?? 100_000);
    this.reproposeTicks = input.reproposeTicks ?? 50;
    this.config = { configurationId: input.configurationId ?? 1, nodes: [...input.nodes] };
    if (input.flexibleQuorum) this.config.flexibleQuorum = { ...input.flexibleQuorum };
    this.storage = input.storage;
  }

  /** running is true while the current pair of children is up (not in restart backoff). */
  get running(): boolean {
    return this.link.paxos !== undefined;
  }

  /** handleTick advances the supervisor's clock, forwards the tick, re-proposes overdue entries. */
  handleTick(): Plan<T> {
    this.now += 1;
    if (this.restartAt !== undefined && this.now >= this.restartAt && !this.escalated) {
      this.restartAt = undefined;
      return { emits: [], respawn: true };
    }
    this.link.election?.send({ type: 'omnipaxos.tick' });
    this.link.paxos?.send({ type: 'omnipaxos.tick' });
    if (this.canPropose()) {
      this.sendToPaxos(this.book.takeHeld(this.now));
      this.sendToPaxos(this.book.takeOverdue(this.now, this.reproposeTicks));
    }
    return { emits: [] };
  }

  /** handleAppend records client requests, holds or proposes them; overflow is reported as failed. */
  handleAppend(requests: ClientRequest<T>[]): Plan<T> {
    const refused = this.book.add(requests);
    if (this.canPropose()) this.sendToPaxos(this.book.takeHeld(this.now));
    return { emits: refused.length > 0 ? [{ type: 'omnipaxos.failed', pid: this.pid, rids: refused, code: 'Overflow' }] : [] };
  }

  /** handleReport takes a child's report; reports of an older incarnation are ignored. */
  handleReport(report: ChildReport<T>): Plan<T> {
    if (report.incarnation !== this.incarnation) return { emits: [] };
    switch (report.type) {
      case 'omnipaxos.leader':
        this.link.paxos?.send({ type: 'omnipaxos.leader', ballot: report.ballot });
        return { emits: [] };
      case 'omnipaxos.status':
        return this.handleStatus(report);
      case 'omnipaxos.rejected':
        if (report.code === 'PendingReconfig') this.reconfiguring = true;
        this.book.holdAgain(report.entries.map((e) => e.rid));
        return { emits: [] };
      case 'omnipaxos.decided':
        return this.handleDecided(report);
    }
  }

  private handleStatus(report: Extract<ChildReport<T>, { type: 'omnipaxos.status' }>): Plan<T> {
    this.link.election?.send({ type: 'omnipaxos.status', status: report.status });
    this.accepting = report.status.phase === 'Accept';
    const leader = report.leader?.pid;
    const emits: SupervisorEmitted<T>[] = [];
    if (leader !== this.leader) {
      this.leader = leader;
      emits.push({ type: 'omnipaxos.leaderChanged', pid: this.pid, leader });
    }
    if (this.canPropose()) this.sendToPaxos(this.book.takeHeld(this.now));
    return { emits };
  }

  private handleDecided(report: Extract<ChildReport<T>, { type: 'omnipaxos.decided' }>): Plan<T> {
    const skip = this.localDelivered - report.fromIdx;
    const entries = skip > 0 ? report.entries.slice(skip) : report.entries;
    if (skip < 0) return { emits: [] }; // a gap cannot happen: the child reports from localDelivered on
    this.localDelivered += entries.length;
    const emits: SupervisorEmitted<T>[] = [];
    const items = this.book.applyDecided(entries);
    if (items.length > 0) emits.push({ type: 'omnipaxos.delivered', pid: this.pid, items });
    const last = entries[entries.length - 1];
    if (last?.kind === 'StopSign' && last.decided) {
      emits.push(...this.becomeNextConfig(last.stopSign.nextConfig));
      return { emits, respawn: this.inConfig() };
    }
    return { emits };
  }

  /**
   * becomeNextConfig is the continuing server's handover on a decided stop sign: the next pair starts on
   * a fresh storage, the application index continues where the old log ended, and held proposals go to
   * the new configuration. The machine stops the old pair and spawns the new one.
   */
  private becomeNextConfig(next: ClusterConfig): SupervisorEmitted<T>[] {
    this.config = { ...next, nodes: [...next.nodes] };
    this.leader = undefined;
    this.accepting = false;
    this.reconfiguring = false;
    this.localDelivered = 0;
    this.detachChildren();
    if (!next.nodes.includes(this.pid)) return [];
    this.storage = this.input.storageFor?.(next.configurationId) ?? new MemoryStorage<ReplicatedEntry<T>>();
    return [{ type: 'omnipaxos.reconfigured', pid: this.pid, config: this.config }];
  }

  /** inConfig is false once a decided stop sign named a configuration without this server. */
  inConfig(): boolean {
    return this.config.nodes.includes(this.pid);
  }

  /** handleChildFailure decides between a restart (after backoff) and escalation. */
  handleChildFailure(error: unknown): { escalate: boolean; emits: SupervisorEmitted<T>[] } {
    this.lastError = error;
    this.detachChildren();
    const d = decideRestart(this.policy, this.restarts, this.now);
    this.restarts = d.history;
    if (d.kind === 'escalate') {
      this.escalated = true;
      return { escalate: true, emits: [] };
    }
    this.restartAt = this.now + d.delayTicks;
    return {
      escalate: false,
      emits: [{ type: 'omnipaxos.restarted', pid: this.pid, restarts: this.restarts.length, error }],
    };
  }

  /** detachChildren forgets the current pair (their reports become stale) and holds proposals again. */
  detachChildren(): void {
    this.incarnation += 1;
    this.link.paxos = undefined;
    this.link.election = undefined;
    this.accepting = false;
    this.book.holdAgain();
  }

  /** proposeReconfiguration hands a stop sign proposal to the Paxos actor. */
  proposeReconfiguration(nextConfig: ClusterConfig, metadata?: Uint8Array): void {
    this.link.paxos?.send(
      metadata ? { type: 'omnipaxos.reconfigure', nextConfig, metadata } : { type: 'omnipaxos.reconfigure', nextConfig },
    );
  }

  private canPropose(): boolean {
    return this.accepting && !this.reconfiguring && this.link.paxos !== undefined;
  }

  private sendToPaxos(entries: ReplicatedEntry<T>[]): void {
    if (entries.length > 0) this.link.paxos?.send({ type: 'omnipaxos.append', entries });
  }
}
