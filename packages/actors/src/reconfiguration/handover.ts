import { type ClusterConfig, type NodeId, Quorum, estimateSize } from '@omnipaxos/core';
import type { CatchUpEvent } from '../events.js';
import { arrayReader, type EntryReader, type HistoryLog, splicedReader, storageReader } from './history-log.js';
import type { HistorySnapshot } from './history-snapshot.js';
import type { ConfigSummary, MigrationMessage, MigrationMsg } from './migration-messages.js';
import type { ReplicaStorage, ReplicatedEntry } from '../replica/replicated-entry.js';
import { DEFAULT_PULLER_OPTIONS, type PullerOptions, SegmentPuller } from './segment-puller.js';
import type { HistoryPersistence } from './history-persistence.js';
import type { Transport } from '../network/transport.js';

/** HandoverOptions tune the reconfiguration handover: the pull and the ReconfigInit resend period. */
export interface HandoverOptions extends PullerOptions {
  /** Ticks between two ReconfigInit resends to a node that has not acknowledged (default 10). */
  initResendTicks: number;
  /**
   * Ticks a removed server waits for every node of the next configuration to acknowledge; after that
   * it retires as soon as a quorum of the next configuration acknowledged (default 1000; Infinity:
   * wait for every node).
   */
  retireAfterTicks: number;
  /**
   * The most bytes of entries (core's `estimateSize`) one SegmentReply carries (default 4 MiB, well
   * under the TCP transport's 16 MiB frame). A reply stops early at this bound, always carrying at
   * least one entry; the puller asks again for the rest.
   */
  maxSegmentBytes: number;
}

type Entry<T> = ReplicatedEntry<T>;

interface Announce {
  init: Extract<MigrationMsg<never>, { type: 'ReconfigInit' }>;
  pending: Set<NodeId>;
  lastSent: number;
  startedAt: number;
}

/** HandleResult is what one migration message led to: timeline events, newly contiguous pulled entries, completion. */
export interface HandleResult<T> {
  events: CatchUpEvent[];
  /**
   * Pulled entries now gap-free, at global raw positions from `from` on (to deliver in order); a
   * `snapshot` received from a source that compacted comes first and ends at `from`.
   */
  pulled?: { from: number; entries: Entry<T>[]; snapshot?: HistorySnapshot };
  /** Set when the whole prefix is there: the server now continues in `nextConfig`. */
  completed?: { nextConfig: ClusterConfig };
}

interface Pull<T> {
  puller: SegmentPuller<Entry<T>, HistorySnapshot>;
  nextConfig: ClusterConfig;
  history: ConfigSummary[];
  startedAt: number;
  /** Local decided prefix of the configuration the pull starts in (a server that missed the stop sign). */
  partial: { index: number; done: number } | undefined;
}

/**
 * HandoverHost is the part of the supervisor a Handover reads and drives: its clock, configuration,
 * history and storages, and the switch into migrating mode.
 */
export interface HandoverHost<T> {
  readonly pid: NodeId;
  readonly now: number;
  readonly config: ClusterConfig;
  readonly mode: 'running' | 'migrating' | 'handover';
  readonly localDelivered: number;
  readonly storage: ReplicaStorage<T>;
  readonly history: HistoryLog<ReplicatedEntry<T>>;
  readonly persistence: HistoryPersistence<T>;
  readonly input: { readonly transport: Transport<ReplicatedEntry<T>> };
  beginMigration(): void;
}

/**
 * Handover is the migration side of one supervisor: it announces a decided stop sign (ReconfigInit,
 * resent until acknowledged), serves SegmentRequests from the finished configurations' logs or the
 * live log, and pulls a missing history prefix in parallel (SegmentPuller) when this server joins a
 * configuration or learns from a ReconfigInit that it missed a stop sign.
 */
export class Handover<T> {
  readonly opts: HandoverOptions;
  private announce: Announce | undefined;
  private pull: Pull<T> | undefined;

  constructor(
    private readonly rt: HandoverHost<T>,
    options: Partial<HandoverOptions> = {},
  ) {
    this.opts = { ...DEFAULT_PULLER_OPTIONS, initResendTicks: 10, retireAfterTicks: 1000, maxSegmentBytes: DEFAULT_MAX_SEGMENT_BYTES, ...options };
  }

  /** pulling is true while a history prefix is being pulled. */
  get pulling(): boolean {
    return this.pull !== undefined;
  }

  /** idle is true when nothing is announced to a node that has not acknowledged it, and nothing is pulled. */
  get idle(): boolean {
    return this.pull === undefined && (this.announce === undefined || this.announce.pending.size === 0);
  }

  /** servedNextConfig is true once every node of the announced next configuration acknowledged ReconfigInit. */
  get servedNextConfig(): boolean {
    const a = this.announce;
    return a !== undefined && a.init.nextConfig.nodes.every((p) => !a.pending.has(p));
  }

  /**
   * canRetire is true when a removed server may stop serving: every node of the next configuration
   * acknowledged, or `retireAfterTicks` passed and a write quorum of it did (those hold the history
   * and serve it to the rest).
   */
  canRetire(): boolean {
    const a = this.announce;
    if (!a) return false;
    if (this.servedNextConfig) return true;
    if (this.rt.now - a.startedAt < this.opts.retireAfterTicks) return false;
    const next = a.init.nextConfig;
    const acked = next.nodes.filter((p) => p === this.rt.pid || !a.pending.has(p)).length;
    const quorum = new Quorum(next.nodes.length, next.flexibleQuorum).acceptSize;
    return acked >= quorum;
  }

  /** startAnnounce begins sending ReconfigInit for `next` to every other node of the old and new configuration. */
  startAnnounce(old: ClusterConfig, next: ClusterConfig): void {
    const pending = new Set([...old.nodes, ...next.nodes].filter((p) => p !== this.rt.pid));
    const init = { type: 'ReconfigInit' as const, nextConfig: next, history: this.rt.history.summaries() };
    this.announce = { init, pending, lastSent: this.rt.now, startedAt: this.rt.now };
    for (const p of pending) this.send(p, this.announce.init);
  }

  /** tick resends ReconfigInit, fails timed-out pulls and sends the next requests. */
  tick(): CatchUpEvent[] {
    const a = this.announce;
    if (a && this.rt.now - a.lastSent >= this.opts.initResendTicks) {
      a.lastSent = this.rt.now;
      for (const p of a.pending) this.send(p, a.init);
    }
    if (!this.pull) return [];
    const events: CatchUpEvent[] = this.pull.puller.tick(this.rt.now);
    this.pump();
    return events;
  }

  /** handle takes one migration message; returns the timeline events and whether the pull completed. */
  handle(m: MigrationMessage<Entry<T>>): HandleResult<T> {
    const msg = m.msg;
    switch (msg.type) {
      case 'ReconfigAck':
        if (this.announce?.init.nextConfig.configurationId === msg.configurationId) this.announce.pending.delete(m.from);
        return { events: [] };
      case 'ReconfigInit':
        return this.handleInit(m.from, msg);
      case 'SegmentRequest':
        this.serve(m.from, msg);
        return { events: [] };
      case 'SegmentReply':
        return this.handleReply(m.from, msg);
      case 'SegmentUnavailable': {
        const e = this.pull?.puller.handleUnavailable(m.from, msg.reqId, msg.reason, this.rt.now);
        this.pump();
        return { events: e ? [e] : [] };
      }
    }
  }

  private handleInit(from: NodeId, init: Extract<MigrationMsg<never>, { type: 'ReconfigInit' }>): HandleResult<T> {
    const last = init.history[init.history.length - 1];
    if (!last) return { events: [] };
    if (this.rt.history.lastConfigurationId >= last.config.configurationId) {
      this.send(from, { type: 'ReconfigAck', configurationId: init.nextConfig.configurationId });
      return { events: [] };
    }
    const current = this.pull?.nextConfig.configurationId ?? this.rt.config.configurationId;
    const accepts = this.rt.mode === 'migrating' && !this.pull ? init.nextConfig.configurationId >= current : init.nextConfig.configurationId > current;
    if (this.pull && init.nextConfig.configurationId === current) {
      this.pull.puller.markReady(from);
      this.pump();
      return { events: [] };
    }
    if (!accepts) return { events: [] };
    const events = this.beginPull(from, init.nextConfig, init.history);
    return this.progress(events);
  }

  /**
   * beginPull starts (or restarts, for a newer target) the pull of the history prefix this server
   * lacks: from the end of what it holds (its finished configurations plus the decided prefix of the
   * configuration it was running) to the end of `history`.
   */
  private beginPull(from: NodeId, nextConfig: ClusterConfig, history: ConfigSummary[]): CatchUpEvent[] {
    const rt = this.rt;
    const index = history.findIndex((h) => h.config.configurationId === rt.config.configurationId);
    const held = rt.history.total;
    // A server that was running a configuration named in `history` keeps its decided prefix of it.
    const partial = index >= 0 && !this.pull && rt.mode === 'running' ? { index, done: rt.localDelivered } : this.pull?.partial;
    const prior = this.pull;
    const start = prior ? prior.puller.start : held + (partial?.done ?? 0);
    const end = history.reduce((s, h) => s + h.length, 0);
    const old = (history[history.length - 1] as ConfigSummary).config;
    const continuing = old.nodes.filter((p) => p !== rt.pid && nextConfig.nodes.includes(p));
    const preferred = continuing.length > 0 ? continuing : old.nodes.filter((p) => p !== rt.pid);
    const puller = new SegmentPuller<Entry<T>, HistorySnapshot>(start, end, preferred, this.opts);
    if (prior) puller.resumeFrom(prior.puller);
    puller.markReady(from);
    this.pull = { puller, nextConfig, history, startedAt: prior?.startedAt ?? rt.now, partial };
    rt.beginMigration();
    const events: CatchUpEvent[] = [
      { kind: 'started', configurationId: nextConfig.configurationId, from: puller.start, to: end, segments: puller.segments() },
    ];
    this.pump();
    return events;
  }

  private handleReply(from: NodeId, msg: Extract<MigrationMsg<Entry<T>>, { type: 'SegmentReply' }>): HandleResult<T> {
    const pull = this.pull;
    if (!pull || msg.upTo !== this.pullUpTo(pull)) return { events: [] };
    const snap = msg.snapshot ? { end: msg.snapshot.rawEnd, value: msg.snapshot } : undefined;
    const e = pull.puller.handleReply(from, msg.reqId, msg.from, msg.entries, snap);
    return this.progress(e ? [e] : []);
  }

  /** progress hands out the newly gap-free entries and completes the pull once everything is there. */
  private progress(events: CatchUpEvent[]): HandleResult<T> {
    const pull = this.pull;
    if (!pull) return { events };
    const took = pull.puller.takeContiguous();
    const pulled = took.snapshot ? { from: took.from, entries: took.entries, snapshot: took.snapshot.value } : { from: took.from, entries: took.entries };
    if (pull.puller.isComplete()) {
      this.install(pull);
      this.pull = undefined;
      events.push({
        kind: 'completed',
        configurationId: pull.nextConfig.configurationId,
        entries: pull.puller.end - pull.puller.start,
        ticks: this.rt.now - pull.startedAt,
      });
      return { events, pulled, completed: { nextConfig: pull.nextConfig } };
    }
    this.pump();
    return { events, pulled };
  }

  private pullUpTo(pull: Pull<T>): number {
    return (pull.history[pull.history.length - 1] as ConfigSummary).config.configurationId;
  }

  /** pullPlan is what the running pull covers: its configurations, target, and the first undelivered position. */
  pullPlan(): { history: ConfigSummary[]; nextConfig: ClusterConfig; deliveredTo: number } | undefined {
    const p = this.pull;
    return p ? { history: p.history, nextConfig: p.nextConfig, deliveredTo: p.puller.deliveredUpTo } : undefined;
  }

  /**
   * install turns the pulled buffer into HistoryLog records for every configuration of the pull (kept
   * in each configuration's storage when history persistence is on) and installs a pulled snapshot.
   */
  private install(pull: Pull<T>): void {
    const hist = this.rt.history;
    const arr = pull.puller.array;
    const base = pull.puller.start;
    let gs = 0;
    const partialId = pull.partial ? pull.history[pull.partial.index]?.config.configurationId : undefined;
    for (const h of pull.history) {
      const ge = gs + h.length;
      if (!hist.has(h.config.configurationId)) {
        const partial = h.config.configurationId === partialId && pull.partial ? pull.partial.done : undefined;
        const read: EntryReader<Entry<T>> =
          partial !== undefined ? splicedReader(storageReader(this.rt.storage), partial, arrayReader(arr, 0)) : arrayReader(arr, gs - base);
        const covered = (pull.puller.snapshot?.end ?? 0) >= ge;
        const kept = this.rt.persistence.keepPulled(h.config.configurationId, h.length, covered ? undefined : read, partial, this.rt.storage);
        hist.append(h.config, h.length, kept?.read ?? read, kept?.drop);
      }
      gs = ge;
    }
    const snap = pull.puller.snapshot;
    if (snap) hist.compact(snap.value);
  }

  /** serve answers a SegmentRequest from the finished configurations or, before the switch, the live log. */
  private serve(to: NodeId, req: Extract<MigrationMsg<never>, { type: 'SegmentRequest' }>): void {
    const rt = this.rt;
    const hist = rt.history;
    let entries: Entry<T>[] | undefined;
    let ready = true;
    // A compacted start is answered with the snapshot, unless it reaches past the requested history.
    const snap = hist.base && req.from < hist.base.rawEnd && hist.base.configurationId <= req.upTo ? hist.base : undefined;
    const from = Math.min(req.to, Math.max(req.from, snap?.rawEnd ?? 0));
    if (from >= req.to) {
      entries = [];
    } else if (hist.has(req.upTo)) {
      entries = readBounded((a, b) => hist.read(a, b), from, req.to, this.opts.maxSegmentBytes);
    } else if (rt.mode === 'running' && rt.config.configurationId === req.upTo && req.to <= hist.total + rt.localDelivered) {
      const split = hist.total;
      const live = storageReader(rt.storage);
      const read = (a: number, b: number): Entry<T>[] | undefined => {
        const head = a < split ? hist.read(a, Math.min(b, split)) : [];
        const tail = b > split ? live(Math.max(a, split) - split, b - split) : [];
        return head && tail ? head.concat(tail) : undefined;
      };
      entries = readBounded(read, from, req.to, this.opts.maxSegmentBytes);
    } else {
      ready = false;
    }
    const common = { upTo: req.upTo, reqId: req.reqId };
    if (entries && snap) this.send(to, { type: 'SegmentReply', ...common, from: snap.rawEnd, entries, snapshot: snap });
    else if (entries) this.send(to, { type: 'SegmentReply', ...common, from, entries });
    else this.send(to, { type: 'SegmentUnavailable', ...common, reason: ready ? 'Compacted' : 'NotReady' });
  }

  private pump(): void {
    const pull = this.pull;
    if (!pull) return;
    const upTo = this.pullUpTo(pull);
    for (const r of pull.puller.pump(this.rt.now)) {
      this.send(r.to, { type: 'SegmentRequest', upTo, reqId: r.reqId, from: r.from, to: r.end });
    }
  }

  private send(to: NodeId, msg: MigrationMsg<Entry<T>>): void {
    this.rt.input.transport.send({ kind: 'Migration', from: this.rt.pid, to, msg });
  }
}

/** DEFAULT_MAX_SEGMENT_BYTES bounds one SegmentReply's entries (see HandoverOptions.maxSegmentBytes). */
export const DEFAULT_MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

/** READ_STEP is how many entries readBounded reads at a time, so a reply never materialises much past its bound. */
const READ_STEP = 64;

/**
 * readBounded reads [from, to) in steps and stops once the entries read reach `maxBytes` (always at
 * least one entry, so a pull of large entries still progresses); undefined if a read is unavailable.
 */
function readBounded<E>(read: (from: number, to: number) => E[] | undefined, from: number, to: number, maxBytes: number): E[] | undefined {
  const out: E[] = [];
  let bytes = 0;
  for (let a = from; a < to; ) {
    const b = Math.min(to, a + READ_STEP);
    const got = read(a, b);
    if (!got) return undefined;
    for (const e of got) {
      const size = estimateSize(e);
      if (out.length > 0 && bytes + size > maxBytes) return out;
      bytes += size;
      out.push(e);
    }
    if (got.length < b - a) return out;
    a = b;
  }
  return out;
}
