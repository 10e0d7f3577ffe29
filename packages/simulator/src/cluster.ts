import {
  CompactionError,
  type ClusterConfig,
  type LogEntry,
  MemoryStorage,
  type Message,
  type NodeId,
  OmniPaxos,
  type PersistMark,
  Prng,
  ProposeError,
  Quorum,
  type ServerConfig,
  type Storage,
  StorageError,
} from '@omnipaxos/core';
import { type ClusterOptions, SimulationError } from './cluster-options.js';
import { describeLog, describeMessage, describeState } from './describe.js';
import { FaultyStorage } from './faulty-storage.js';
import { InvariantChecker, InvariantViolation } from './invariants.js';
import { LinkMatrix } from './link-matrix.js';
import { DeferredDisk } from './deferred-disk.js';

interface InFlight<T, S> {
  deliverAt: number;
  seq: number;
  message: Message<T, S>;
  /** How many times the receiver had started when the message was sent. */
  starts: number;
}

const MAX_ROUNDS_PER_TICK = 10_000;


/**
 * Cluster runs OmniPaxos replicas on virtual ticks over a simulated network: every message is
 * copied (structuredClone), links can be cut, lossy, duplicating and delaying, nodes can crash and
 * restart from their storage, and storage writes can fail. The invariants are checked after every
 * delivery round. Nothing here reads the clock or Math.random: a seed replays a run exactly.
 */
export class Cluster<T = string, S = never> {
  readonly prng: Prng;
  readonly links = new LinkMatrix();
  readonly nodes: NodeId[];
  readonly clusterConfig: ClusterConfig;
  readonly checker: InvariantChecker<T, S>;
  /** Virtual time in ticks. */
  now = 0;
  private readonly replicas = new Map<NodeId, OmniPaxos<T, S>>();
  private readonly storages = new Map<NodeId, FaultyStorage<T, S>>();
  /** In `deferred` durability mode: each node's write cache and the output waiting for its flush. */
  private readonly disks = new Map<NodeId, DeferredDisk<T, S>>();
  private readonly alive = new Set<NodeId>();
  private inflight: InFlight<T, S>[] = [];
  private seq = 0;
  /** Recent events; deliveries are kept as messages and rendered only when a run fails. */
  private readonly trace: (string | { t: number; m: Message<T, S> })[] = [];
  /** Messages delivered so far. */
  delivered = 0;
  /** Messages sent to a node before a crash and delivered after its restart (see `crash`'s keepInflight). */
  deliveredAfterRestart = 0;
  /** How many times each node has started (its incarnation). */
  private readonly starts = new Map<NodeId, number>();

  constructor(readonly options: ClusterOptions<T, S>) {
    this.prng = new Prng(options.seed);
    this.nodes =
      typeof options.nodes === 'number' ? Array.from({ length: options.nodes }, (_, i) => i + 1) : [...options.nodes];
    this.clusterConfig = { configurationId: options.configurationId ?? 1, nodes: [...this.nodes] };
    if (options.flexibleQuorum) this.clusterConfig.flexibleQuorum = { ...options.flexibleQuorum };
    this.checker = new InvariantChecker<T, S>({
      ...(options.keyOf ? { keyOf: options.keyOf } : {}),
      uniqueDecisions: !options.allowDuplicateDecisions,
    });
    const deferred = options.durability === 'deferred';
    if (deferred && options.storage) throw new RangeError('durability "deferred" models its own storage: leave out the storage option');
    for (const pid of this.nodes) {
      let inner = options.storage ? options.storage(pid) : new MemoryStorage<T, S>();
      if (deferred) {
        const disk = new DeferredDisk<T, S>();
        this.disks.set(pid, disk);
        inner = disk.storage;
      }
      this.storages.set(pid, new FaultyStorage<T, S>(inner));
      this.start(pid);
    }
  }

  private start(pid: NodeId): void {
    this.starts.set(pid, (this.starts.get(pid) ?? 0) + 1);
    const storage = this.storages.get(pid) as FaultyStorage<T, S>;
    const serverConfig: ServerConfig = { ...this.options.serverConfig, ...this.options.perNode?.(pid), pid };
    const replica = new OmniPaxos<T, S>({ clusterConfig: this.clusterConfig, serverConfig }, storage, {
      ...(this.options.snapshot ? { snapshot: this.options.snapshot } : {}),
      ...(this.options.sizeOf ? { sizeOf: this.options.sizeOf } : {}),
      ...(this.disks.size > 0 ? { deferLeaderAccept: true } : {}),
    });
    this.replicas.set(pid, replica);
    this.alive.add(pid);
  }

  /** event records a line in the trace (and hands it to onEvent). */
  event(line: string): void {
    const l = `t${this.now} ${line}`;
    this.remember(l);
    this.options.onEvent?.(l);
  }

  private remember(item: string | { t: number; m: Message<T, S> }): void {
    this.trace.push(item);
    if (this.trace.length > (this.options.traceLimit ?? 4000)) this.trace.shift();
  }

  /** recentTrace renders the remembered events, oldest first. */
  recentTrace(): string[] {
    return this.trace.map((x) => (typeof x === 'string' ? x : `t${x.t} ${describeMessage(x.m)}`));
  }

  /** fail throws a SimulationError carrying the seed and the recent trace. */
  fail(message: string, cause?: unknown): never {
    const state = this.nodes.map((p) => (this.alive.has(p) ? describeState(this.replica(p)) : `${p}: crashed`));
    throw new SimulationError(`${message}\n  state:\n    ${state.join('\n    ')}`, this.options.seed, this.recentTrace(), {
      cause,
    });
  }

  /** replica returns node `pid`'s current replica (the last one started). */
  replica(pid: NodeId): OmniPaxos<T, S> {
    const r = this.replicas.get(pid);
    if (!r) throw new RangeError(`no node ${pid}`);
    return r;
  }

  /** storage returns node `pid`'s storage, which survives crashes. */
  storage(pid: NodeId): FaultyStorage<T, S> {
    const s = this.storages.get(pid);
    if (!s) throw new RangeError(`no node ${pid}`);
    return s;
  }

  /** isAlive tells whether `pid` is running. */
  isAlive(pid: NodeId): boolean {
    return this.alive.has(pid);
  }

  /** aliveNodes lists the running nodes in pid order. */
  aliveNodes(): NodeId[] {
    return this.nodes.filter((p) => this.alive.has(p));
  }

  /** guarded runs a replica call; a storage failure crashes that node, any other error fails the run. */
  private guarded(pid: NodeId, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof StorageError) {
        this.event(`${pid} crashed by storage failure during ${what}: ${err.message}`);
        this.down(pid);
        return;
      }
      if (err instanceof SimulationError) throw err;
      this.fail(`replica ${pid} threw during ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  /** tick advances virtual time by `n` ticks: every live replica ticks, then messages flow until quiet. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      this.now += 1;
      for (const pid of this.aliveNodes()) this.guarded(pid, 'tick', () => this.replica(pid).tick());
      this.pump();
    }
  }

  /**
   * pump delivers every message due now, and the answers they cause, until nothing more is due. In
   * `deferred` durability mode a node's output waiting for its flush may stay for a later tick.
   */
  pump(): void {
    // A flush takes at most about one tick: what waited since the last tick is flushed now.
    this.flushSome(true);
    for (let round = 0; round < MAX_ROUNDS_PER_TICK; round++) {
      this.collectOutgoing();
      // Within a tick a flush completes at a random round; output may wait into the next tick,
      // and a crash between ticks loses what was not flushed.
      this.flushSome();
      const due = this.takeDue();
      if (due.length === 0) return;
      for (const f of due) this.deliver(f);
      this.checkInvariants();
    }
    this.fail(`messages did not quiesce within ${MAX_ROUNDS_PER_TICK} rounds`);
  }

  /** stabilize delivers everything in flight, whatever its delay, until the network is empty. */
  stabilize(maxRounds = MAX_ROUNDS_PER_TICK): void {
    for (let round = 0; round < maxRounds; round++) {
      this.collectOutgoing();
      this.flushSome(this.inflight.length === 0);
      if (this.inflight.length === 0) {
        if (this.hasHeldOutput()) continue;
        return;
      }
      const all = this.inflight.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
      this.inflight = [];
      for (const f of all) this.deliver(f);
      this.checkInvariants();
    }
    this.fail(`network did not stabilize within ${maxRounds} rounds`);
  }

  private collectOutgoing(): void {
    for (const pid of this.aliveNodes()) {
      let out: Message<T, S>[] = [];
      let mark: PersistMark | undefined;
      this.guarded(pid, 'takeOutgoingMessages', () => {
        const r = this.replica(pid);
        out = r.takeOutgoingMessages();
        mark = r.persistMark();
      });
      const disk = this.disks.get(pid);
      if (disk) disk.take(out, mark, this.routeOut, (m) => this.persisted(pid, m));
      else for (const m of out) this.route(m);
    }
  }

  private readonly routeOut = (m: Message<T, S>): void => this.route(m);

  private persisted(pid: NodeId, mark: PersistMark | undefined): void {
    this.guarded(pid, 'persisted', () => this.replica(pid).persisted(mark));
  }

  /**
   * flushSome, in `deferred` mode, flushes each live node that has unflushed output (each with its
   * flush chance, or every one whose chance is not 0 when `all`): its writes become durable, its waiting messages go out in order, and the leader counts
   * what it persisted. Returns whether any node flushed.
   */
  private flushSome(all = false): boolean {
    let any = false;
    for (const pid of this.aliveNodes()) {
      const disk = this.disks.get(pid);
      if (!disk?.pending()) continue;
      const chance = this.flushChanceOf(pid);
      // A chance of 0 holds the node's disk back entirely (a test's slow disk), even for `all`.
      if (chance <= 0 || (!all && !this.prng.chance(chance))) continue;
      any = true;
      disk.flush(this.routeOut, (m) => this.persisted(pid, m), () => this.alive.has(pid));
    }
    return any;
  }

  private flushChanceOf(pid: NodeId): number {
    const c = this.options.flushChance ?? 0.5;
    return typeof c === 'number' ? c : c(pid);
  }

  private hasHeldOutput(): boolean {
    for (const pid of this.aliveNodes()) {
      if (this.flushChanceOf(pid) > 0 && this.disks.get(pid)?.pending()) return true;
    }
    return false;
  }

  /** down takes `pid` out: in `deferred` mode it loses its unflushed writes and waiting output. */
  private down(pid: NodeId): void {
    this.alive.delete(pid);
    const disk = this.disks.get(pid);
    if (!disk) return;
    this.checkDurableQuorum();
    const lost = disk.crash();
    if (lost > 0) this.event(`${pid} lost ${lost} unflushed writes`);
    // Its decided index may go back to the durable one; what it decides again must still agree.
    this.checker.forgetReplica(pid);
  }

  /** dropIf, when set, drops every message it returns true for (targeted omission faults). */
  dropIf: ((m: Message<T, S>) => boolean) | undefined;

  /** tap, when set, sees every message a live link carries, before dropIf and the link's faults (to keep copies). */
  tap: ((m: Message<T, S>) => void) | undefined;

  private route(m: Message<T, S>): void {
    if (!this.links.isUp(m.from, m.to)) return;
    this.tap?.(m);
    if (this.dropIf?.(m)) return;
    const f = this.links.faultsOf(m.from, m.to);
    if (this.prng.chance(f.drop)) return;
    const copies = this.prng.chance(f.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = f.maxDelay > f.minDelay ? this.prng.range(f.minDelay, f.maxDelay) : f.minDelay;
      this.inflight.push({ deliverAt: this.now + delay, seq: this.seq++, message: structuredClone(m), starts: this.starts.get(m.to) ?? 0 });
    }
  }

  private takeDue(): InFlight<T, S>[] {
    const due: InFlight<T, S>[] = [];
    const later: InFlight<T, S>[] = [];
    for (const f of this.inflight) (f.deliverAt <= this.now ? due : later).push(f);
    this.inflight = later;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
    if (this.options.reorder && this.prng.chance(this.options.reorder)) this.prng.shuffle(due);
    return due;
  }

  private deliver(f: InFlight<T, S>): void {
    const m = f.message;
    if (!this.alive.has(m.to)) return;
    this.delivered += 1;
    if (f.starts !== this.starts.get(m.to)) this.deliveredAfterRestart += 1;
    if (this.options.onEvent) this.event(describeMessage(m));
    else this.remember({ t: this.now, m });
    this.guarded(m.to, 'handleIncoming', () => this.replica(m.to).handleIncoming(m));
  }

  /**
   * checkDurableQuorum (deferred mode) checks that every decided entry is on a write quorum's durable
   * storage — what must hold for a crash of any set of servers never to lose a decided entry.
   */
  checkDurableQuorum(): void {
    if (this.disks.size === 0 || this.options.checkInvariants === false) return;
    const durable = new Map<NodeId, Storage<T, S>>();
    for (const [pid, disk] of this.disks) durable.set(pid, disk.storage.durableView());
    const quorum = new Quorum(this.nodes.length, this.clusterConfig.flexibleQuorum);
    this.reportViolation(() => this.checker.checkDurableQuorum(durable, quorum.acceptSize));
  }

  /** checkInvariants checks every live replica now (also run after each delivery round). */
  checkInvariants(): void {
    if (this.options.checkInvariants === false) return;
    this.reportViolation(() => {
      for (const pid of this.aliveNodes()) this.checker.checkReplica(this.replica(pid));
      this.checker.checkLeaders(this.aliveNodes().map((p) => this.replica(p)));
    });
  }

  /**
   * checkDecidedLogs rereads every live replica's whole decided log (what is not compacted) against
   * the first value decided at each index: a replica that rewrote a decided index fails the run.
   * Costlier than `checkInvariants`, which reads only what was decided since the last check.
   */
  checkDecidedLogs(): void {
    if (this.options.checkInvariants === false) return;
    this.reportViolation(() => {
      for (const pid of this.aliveNodes()) this.checker.checkDecidedLog(this.replica(pid));
    });
  }

  /** reportViolation runs a check; an InvariantViolation fails the run with the seed and trace (see `fail`). */
  private reportViolation(check: () => void): void {
    try {
      check();
    } catch (err) {
      if (err instanceof InvariantViolation) this.fail(`invariant violated: ${err.message}`, err);
      throw err;
    }
  }

  /** propose appends `entry` at node `pid`; false when the node is down or refused it. */
  propose(pid: NodeId, entry: T): boolean {
    if (this.alive.has(pid)) this.checker.recordProposal(entry);
    const label = `propose ${pid} ${typeof entry === 'string' ? entry : JSON.stringify(entry)}`;
    return this.attempt(pid, 'append', label, (r) => r.append(entry));
  }

  /** reconfigure proposes, at node `pid`, a stop sign for the next configuration. */
  reconfigure(pid: NodeId, next: ClusterConfig): boolean {
    return this.attempt(pid, 'reconfigure', `reconfigure ${pid} c${next.configurationId}`, (r) => r.reconfigure(next));
  }

  /** trim asks node `pid` to trim its log; false when it refused (CompactionError) or is down. */
  trim(pid: NodeId, idx?: number): boolean {
    return this.attempt(pid, 'trim', `trim ${pid}`, (r) => r.trim(idx));
  }

  /** snapshot asks node `pid` to snapshot its decided prefix; false when it refused or is down. */
  snapshot(pid: NodeId, idx?: number, localOnly = false): boolean {
    return this.attempt(pid, 'snapshot', `snapshot ${pid}`, (r) => r.snapshot(idx, localOnly));
  }

  /** tryBecomeLeader makes node `pid` take over with a ballot above its promise; false when it is down. */
  tryBecomeLeader(pid: NodeId): boolean {
    return this.attempt(pid, 'tryBecomeLeader', `tryBecomeLeader ${pid}`, (r) => r.tryBecomeLeader());
  }

  /** setPriority sets node `pid`'s leader priority (until it restarts); false when it is down. */
  setPriority(pid: NodeId, priority: number): boolean {
    return this.attempt(pid, 'setPriority', `setPriority ${pid} ${priority}`, (r) => r.setPriority(priority));
  }

  /**
   * attempt runs a client call on a live node. A refusal (ProposeError, CompactionError) returns
   * false; a storage failure crashes the node; anything else fails the run.
   */
  private attempt(pid: NodeId, what: string, label: string, fn: (r: OmniPaxos<T, S>) => void): boolean {
    if (!this.alive.has(pid)) return false;
    let ok = false;
    this.guarded(pid, what, () => {
      try {
        fn(this.replica(pid));
        ok = true;
      } catch (err) {
        if (!(err instanceof ProposeError) && !(err instanceof CompactionError)) throw err;
      }
    });
    if (this.options.onEvent) this.event(`${label}${ok ? '' : ' (refused)'}`);
    return ok;
  }

  /**
   * crash stops node `pid`: its replica and unsent messages are gone, its storage stays. The messages
   * in flight to it are dropped too, unless `keepInflight` (a network that delivers them to whatever
   * runs at that address later, e.g. a datagram or a redelivering queue).
   */
  crash(pid: NodeId, options: { keepInflight?: boolean } = {}): void {
    this.down(pid);
    if (!options.keepInflight) this.inflight = this.inflight.filter((f) => f.message.to !== pid);
    this.event(`crash ${pid}${options.keepInflight ? ' (messages to it stay in flight)' : ''}`);
  }

  /**
   * inject puts a copy of `m` in flight, due in `delay` ticks, whatever the links say: a message held
   * back, or an old one replayed by the network. It arrives only if its receiver is up then.
   */
  inject(m: Message<T, S>, delay = 0): void {
    if (this.options.onEvent) this.event(`inject ${describeMessage(m)} in ${delay}`);
    this.inflight.push({ deliverAt: this.now + delay, seq: this.seq++, message: structuredClone(m), starts: this.starts.get(m.to) ?? 0 });
  }

  /** restart builds a new replica for `pid` from its storage (crash recovery). */
  restart(pid: NodeId): void {
    if (this.alive.has(pid)) this.crash(pid);
    this.event(`restart ${pid}`);
    try {
      this.start(pid);
    } catch (err) {
      this.fail(`replica ${pid} could not restart from its storage: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    this.checkInvariants();
  }

  /**
   * changeLinks applies a change to the links; every link that comes back up is reported to both
   * ends with `reconnected`, as a session-based transport (TCP) does when it reconnects.
   */
  private changeLinks(apply: () => void): void {
    const before = new Set(this.links.downLinks());
    apply();
    const after = new Set(this.links.downLinks());
    const notified = new Set<string>();
    for (const link of before) {
      if (after.has(link)) continue;
      const [from, to] = link.split('>').map(Number) as [number, number];
      for (const [a, b] of [[to, from], [from, to]] as const) {
        const key = `${a}>${b}`;
        if (notified.has(key) || !this.alive.has(a)) continue;
        notified.add(key);
        this.guarded(a, 'reconnected', () => this.replica(a).reconnected(b));
      }
    }
  }

  /** cut takes down both directions of the link between a and b. */
  cut(a: NodeId, b: NodeId): void {
    this.links.cut(a, b);
    this.event(`cut ${a} ${b}`);
  }

  /** cutOneWay takes down only the link from `from` to `to` (`to` still reaches `from`). */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.links.cutOneWay(from, to);
    this.event(`cut ${from}>${to}`);
  }

  /** heal restores both directions of the link between a and b. */
  heal(a: NodeId, b: NodeId): void {
    this.changeLinks(() => this.links.heal(a, b));
    this.event(`heal ${a} ${b}`);
  }

  /** healAll restores every link and clears every fault probability. */
  healAll(): void {
    this.changeLinks(() => this.links.healAll());
    this.event('heal all');
  }

  /** isolate cuts `pid` off from every other node. */
  isolate(pid: NodeId): void {
    this.links.isolate(pid, this.nodes);
    this.event(`isolate ${pid}`);
  }

  /** partition keeps links only within each group. */
  partition(groups: NodeId[][]): void {
    this.links.partition(groups, this.nodes);
    this.event(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
  }

  /** setConnectivity makes exactly the listed pairs connected (arbitrary partial connectivity). */
  setConnectivity(pairs: [NodeId, NodeId][]): void {
    this.changeLinks(() => this.links.setConnectivity(pairs, this.nodes));
    this.event(`connectivity ${pairs.map(([a, b]) => `${a}-${b}`).join(' ')}`);
  }

  /** leader returns the live node leading in the Accept phase with the highest ballot, if any. */
  leader(): NodeId | undefined {
    let best: { pid: NodeId; n: number; prio: number } | undefined;
    for (const pid of this.aliveNodes()) {
      const s = this.replica(pid).getStatus();
      if (s.role !== 'Leader' || s.phase !== 'Accept') continue;
      const b = s.promise;
      if (!best || b.n > best.n || (b.n === best.n && (b.priority > best.prio || (b.priority === best.prio && pid > best.pid)))) {
        best = { pid, n: b.n, prio: b.priority };
      }
    }
    return best?.pid;
  }

  /** runUntil ticks until `predicate` holds and returns the ticks taken; fails after `maxTicks`. */
  runUntil(predicate: () => boolean, maxTicks: number, what = 'condition'): number {
    const start = this.now;
    while (!predicate()) {
      if (this.now - start >= maxTicks) this.fail(`${what} not reached within ${maxTicks} ticks`);
      this.tick();
    }
    return this.now - start;
  }

  /** decidedEntries returns node `pid`'s decided log entries (compacted prefix included as one entry). */
  decidedEntries(pid: NodeId): LogEntry<T, S>[] {
    const r = this.replica(pid);
    return r.getDecidedIdx() === 0 ? [] : (r.readEntries(0, r.getDecidedIdx()) ?? []);
  }

  /** decidedValues returns the plain decided entries of node `pid`, in log order. */
  decidedValues(pid: NodeId): T[] {
    const out: T[] = [];
    for (const e of this.decidedEntries(pid)) if (e.kind === 'Decided') out.push(e.entry);
    return out;
  }

  /** describe renders every node's state, one per line. */
  describe(): string {
    return this.nodes.map((p) => (this.alive.has(p) ? describeState(this.replica(p)) : `${p}: crashed`)).join('\n');
  }

  /** describeLog renders node `pid`'s log. */
  describeLog(pid: NodeId): string {
    return this.alive.has(pid) ? describeLog(this.replica(pid)) : `${pid}: crashed`;
  }

  /** inFlight returns how many messages are in the network (to `to` only, when given). */
  inFlight(to?: NodeId): number {
    if (to === undefined) return this.inflight.length;
    let n = 0;
    for (const f of this.inflight) if (f.message.to === to) n += 1;
    return n;
  }
}
