import type { ClusterConfig, NodeId } from '@omnipaxos/core';
import type { CatchUpEvent, ChildReport, ClientRequest, SupervisorEmitted } from '../events.js';
import { type HandleResult, Handover } from '../reconfiguration/handover.js';
import { HistoryLog, storageReader } from '../reconfiguration/history-log.js';
import { HistoryPersistence, trimmer } from '../reconfiguration/history-persistence.js';
import { buildHistorySnapshot } from '../reconfiguration/build-snapshot.js';
import type { PersistedHistory } from '../reconfiguration/history-store.js';
import type { MigrationMessage } from '../reconfiguration/migration-messages.js';
import { NodeLink } from '../network/node-link.js';
import { PulledReplay } from '../reconfiguration/pulled-replay.js';
import type { ReplicaStorage, ReplicatedEntry } from '../replica/replicated-entry.js';
import { RequestBook } from '../replica/request-book.js';
import { DEFAULT_SUPERVISION, type SupervisionPolicy, decideRestart } from './supervision-policy.js';
import type { SupervisorInput } from './supervisor-input.js';

export type { SupervisorInput } from './supervisor-input.js';

/**
 * SupervisorMode is what the supervisor is doing: `running` a configuration's pair, `migrating`
 * (pulling the history prefix before it can run the configuration it joins) or `handover` (removed by
 * a decided stop sign, serving segments until every node of the next configuration has the history).
 */
export type SupervisorMode = 'running' | 'migrating' | 'handover';

/** Plan is what one supervisor step asks the machine to do besides the child sends it did itself. */
export interface Plan<T> {
  emits: SupervisorEmitted<T>[];
  respawn?: boolean;
}

const TICK = { type: 'omnipaxos.tick' } as const;

const emitCatchUp = <T>(pid: NodeId, events: CatchUpEvent[]): SupervisorEmitted<T>[] =>
  events.map((event) => ({ type: 'omnipaxos.catchUp', pid, event }));

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
  /** mode says whether the pair runs, the history is being pulled, or a removed server hands over. */
  mode: SupervisorMode;
  /** retired is set when a removed server's handover is complete; the machine then stops for good. */
  retired = false;
  /** history holds the decided logs of every finished configuration (global raw positions). */
  readonly history = new HistoryLog<ReplicatedEntry<T>>();
  readonly handover: Handover<T>;
  /** persistence keeps finished configurations' storages and the PersistedHistory record. */
  readonly persistence: HistoryPersistence<T>;
  private readonly replay: PulledReplay<T>;
  /** The history read back at start (delivered by startupPlan). */
  private restored: PersistedHistory | undefined;
  /** A reconfiguration asked for here, re-proposed until a stop sign moves this server past it. */
  private wantedReconfig: { nextConfig: ClusterConfig; metadata?: Uint8Array; sentAt: number } | undefined;

  constructor(readonly input: SupervisorInput<T>) {
    this.pid = input.pid;
    this.link = new NodeLink(input.pid, input.transport);
    this.policy = { ...DEFAULT_SUPERVISION, ...input.supervision };
    this.book = new RequestBook<T>(input.pid, input.maxHeldProposals ?? 10_000, input.dedupWindow ?? 100_000, undefined, input.maxPack);
    this.reproposeTicks = input.reproposeTicks ?? 50;
    this.config = { configurationId: input.configurationId ?? 1, nodes: [...input.nodes] };
    if (input.flexibleQuorum) this.config.flexibleQuorum = { ...input.flexibleQuorum };
    this.storage = input.storage;
    this.mode = input.joining ? 'migrating' : 'running';
    this.handover = new Handover<T>(this, input.migration);
    this.persistence = new HistoryPersistence<T>(input);
    this.replay = new PulledReplay<T>(this.book);
    const saved = this.persistence.load();
    if (saved && saved.current.configurationId >= this.config.configurationId) this.restore(saved);
  }

  /**
   * restore rebuilds the history from a saved record: finished configurations read from their
   * storages, the base snapshot, and the configuration this server runs (or hands over to).
   */
  private restore(saved: PersistedHistory): void {
    for (const f of saved.finished) {
      const st = this.persistence.storageOf(f.config.configurationId);
      this.history.append(f.config, f.length, storageReader(st), trimmer(st, f.length));
    }
    if (saved.snapshot) this.history.compact(saved.snapshot);
    this.config = { ...saved.current, nodes: [...saved.current.nodes] };
    this.storage = this.persistence.storageOf(this.config.configurationId);
    this.restored = saved;
    this.mode = this.inConfig() ? 'running' : 'handover';
    const old = saved.finished.at(-1)?.config;
    if (old && !this.inConfig()) this.handover.startAnnounce(old, this.config);
  }

  /** startupPlan delivers a restored history (its snapshot, then its entries) before the current configuration's. */
  startupPlan(): Plan<T> {
    const saved = this.restored;
    this.restored = undefined;
    if (!saved) return { emits: [] };
    const r = this.replay.replayHistory(this.history);
    const emits: SupervisorEmitted<T>[] = [];
    if (r?.snapshot) emits.push({ type: 'omnipaxos.snapshot', pid: this.pid, origin: 'restored', snapshot: r.snapshot });
    if (r && r.items.length > 0) emits.push({ type: 'omnipaxos.delivered', pid: this.pid, items: r.items });
    return { emits };
  }

  /**
   * compact snapshots the finished configurations (through `upTo`, default all) with the application's
   * SnapshotLogic; their entries are dropped from their storages once the record with the snapshot is
   * saved. Segment requests below the snapshot's end are then answered with the snapshot.
   */
  compact(upTo?: number): Plan<T> {
    const logic = this.input.compaction?.logic;
    if (!logic || this.history.lastConfigurationId <= (this.history.base?.configurationId ?? 0)) return { emits: [] };
    const snap = buildHistorySnapshot(this.history, logic, upTo, this.input.dedupWindow ?? 100_000);
    if (!snap) return { emits: [] };
    const drops = this.history.compact(snap);
    this.persistence.save(this.history, this.config, drops);
    return { emits: [{ type: 'omnipaxos.snapshot', pid: this.pid, origin: 'compacted', snapshot: snap }] };
  }

  /** running is true while the current pair of children is up (not in restart backoff). */
  get running(): boolean {
    return this.link.paxos !== undefined;
  }

  /**
   * handleTick advances the supervisor's clock by `ticks` (see TickEvent), forwards them, re-proposes
   * overdue entries.
   */
  handleTick(ticks = 1): Plan<T> {
    this.now += ticks;
    if (this.restartAt !== undefined && this.now >= this.restartAt && !this.escalated) {
      this.restartAt = undefined;
      return { emits: [], respawn: true };
    }
    const tick = ticks === 1 ? TICK : { type: 'omnipaxos.tick' as const, ticks };
    this.link.election?.send(tick);
    this.link.paxos?.send(tick);
    if (this.canPropose()) {
      this.sendToPaxos(this.book.takeHeld(this.now));
      this.sendToPaxos(this.book.takeOverdue(this.now, this.reproposeTicks));
    }
    this.reproposeReconfiguration();
    const emits = emitCatchUp<T>(this.pid, this.handover.tick());
    if (this.mode === 'handover' && this.handover.canRetire()) this.retire(emits);
    if (this.input.compaction?.auto && this.mode !== 'migrating' && this.handover.servedNextConfig) emits.push(...this.compact().emits);
    return { emits };
  }

  /** handleAppend records client requests, holds or proposes them; overflow is reported as failed. */
  handleAppend(requests: ClientRequest<T>[]): Plan<T> {
    if (this.mode === 'handover') {
      return { emits: [{ type: 'omnipaxos.failed', pid: this.pid, rids: requests.map((r) => r.rid), code: 'StopSign' }] };
    }
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
        this.book.holdAgain(report.entries);
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
      const old = this.config;
      this.history.append(old, this.localDelivered - 1, storageReader(this.storage), trimmer(this.storage, this.localDelivered - 1));
      this.persistence.mustFlush(this.storage); // the record below points at it: its stop sign must be durable first
      this.handover.startAnnounce(old, last.stopSign.nextConfig);
      emits.push(...this.becomeNextConfig(last.stopSign.nextConfig));
      this.persistence.save(this.history, this.config);
      return { emits, respawn: this.inConfig() };
    }
    return { emits };
  }

  /** handleMigration takes a handover message (ReconfigInit, acks, segments) from the transport. */
  handleMigration(message: MigrationMessage<ReplicatedEntry<T>>): Plan<T> {
    if (this.retired || this.escalated) return { emits: [] };
    const { events, pulled, completed } = this.handover.handle(message);
    const emits = emitCatchUp<T>(this.pid, events);
    if (pulled) emits.push(...this.deliverPulled(pulled));
    if (!completed) return { emits };
    const next = completed.nextConfig;
    this.replay.clear();
    if (next.nodes.includes(this.pid)) {
      const joinsFresh = this.config.configurationId === next.configurationId;
      this.config = { ...next, nodes: [...next.nodes] };
      this.storage = joinsFresh ? this.storage : this.persistence.storageOf(next.configurationId);
      this.persistence.save(this.history, this.config);
      const last = this.history.summaries().at(-1)?.config;
      if (last) this.handover.startAnnounce(last, next);
      this.localDelivered = 0;
      this.leader = undefined;
      this.reconfiguring = false;
      this.mode = 'running';
      emits.push({ type: 'omnipaxos.reconfigured', pid: this.pid, config: this.config });
      return { emits, respawn: true };
    }
    this.config = { ...next, nodes: [...next.nodes] };
    this.persistence.save(this.history, this.config);
    const old = this.history.summaries().at(-1)?.config ?? next;
    this.handover.startAnnounce(old, next);
    this.enterHandover(emits);
    return { emits };
  }

  /**
   * beginMigration stops running the current configuration (a ReconfigInit proved its stop sign decided,
   * or this server joins): the pair is detached and proposals are held until the pull completes.
   */
  beginMigration(): void {
    if (this.mode === 'running') this.detachChildren();
    this.mode = 'migrating';
    const plan = this.handover.pullPlan();
    if (plan) this.replay.plan(plan.history, plan.nextConfig, plan.deliveredTo);
    else this.replay.clear();
  }

  /**
   * deliverPulled runs pulled decided entries through the duplicate filter, as the servers that decided
   * them did (see PulledReplay); a pulled snapshot is emitted first, and the entries continue after it.
   */
  private deliverPulled(pulled: NonNullable<HandleResult<T>['pulled']>): SupervisorEmitted<T>[] {
    const emits: SupervisorEmitted<T>[] = [];
    if (pulled.snapshot) emits.push({ type: 'omnipaxos.snapshot', pid: this.pid, origin: 'pulled', snapshot: pulled.snapshot });
    if (pulled.entries.length === 0 && !pulled.snapshot) return emits;
    const items = this.replay.deliver(pulled.from, pulled.entries, pulled.snapshot);
    if (items.length > 0) emits.push({ type: 'omnipaxos.delivered', pid: this.pid, items });
    return emits;
  }

  private enterHandover(emits: SupervisorEmitted<T>[]): void {
    this.mode = 'handover';
    this.detachChildren();
    const rids = this.book.removeAll();
    if (rids.length > 0) emits.push({ type: 'omnipaxos.failed', pid: this.pid, rids, code: 'StopSign' });
    if (this.handover.canRetire()) this.retire(emits);
  }

  private retire(emits: SupervisorEmitted<T>[]): void {
    if (this.retired) return;
    this.retired = true;
    emits.push({ type: 'omnipaxos.catchUp', pid: this.pid, event: { kind: 'handedOver', configurationId: this.config.configurationId } });
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
    if (!next.nodes.includes(this.pid)) {
      const emits: SupervisorEmitted<T>[] = [];
      this.enterHandover(emits);
      return emits;
    }
    this.storage = this.persistence.storageOf(next.configurationId);
    return [{ type: 'omnipaxos.reconfigured', pid: this.pid, config: this.config }];
  }

  /** inConfig is false once a decided stop sign named a configuration without this server. */
  inConfig(): boolean {
    return this.config.nodes.includes(this.pid);
  }

  /** shouldRun is true when the machine should have a pair up: running, not retired or escalated. */
  shouldRun(): boolean {
    return this.mode === 'running' && !this.retired && !this.escalated;
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
    if (nextConfig.configurationId <= this.config.configurationId) return;
    this.wantedReconfig = metadata ? { nextConfig, metadata, sentAt: this.now } : { nextConfig, sentAt: this.now };
    this.link.paxos?.send(
      metadata ? { type: 'omnipaxos.reconfigure', nextConfig, metadata } : { type: 'omnipaxos.reconfigure', nextConfig },
    );
  }

  /** reproposeReconfiguration hands the wanted stop sign to Paxos again (forwarding is best-effort). */
  private reproposeReconfiguration(): void {
    const w = this.wantedReconfig;
    if (!w) return;
    if (w.nextConfig.configurationId <= this.config.configurationId || this.mode !== 'running') {
      if (this.mode !== 'migrating') this.wantedReconfig = undefined;
      return;
    }
    if (this.now - w.sentAt < this.reproposeTicks || !this.link.paxos) return;
    this.proposeReconfiguration(w.nextConfig, w.metadata);
  }

  /**
   * busy is true while something the supervisor does on every tick is pending (proposals to re-propose,
   * a reconfiguration to re-propose, a handover or a pull): ticks then come one at a time.
   */
  get busy(): boolean {
    return this.book.size > 0 || this.mode !== 'running' || this.wantedReconfig !== undefined || !this.handover.idle;
  }

  private canPropose(): boolean {
    return this.accepting && !this.reconfiguring && this.link.paxos !== undefined;
  }

  private sendToPaxos(entries: ReplicatedEntry<T>[]): void {
    if (entries.length > 0) this.link.paxos?.send({ type: 'omnipaxos.append', entries });
  }
}
