import type { NodeId } from '@omnipaxos/core';
import type { SegmentUnavailableReason } from './migration-messages.js';

/** PullerOptions tune the parallel pull: chunk size, pipelining and the timeout in ticks. */
export interface PullerOptions {
  /** Entries asked for in one SegmentRequest (default 2000). */
  chunkSize: number;
  /** Requests in flight per source (default 2): keeps each source's link busy. */
  window: number;
  /** Ticks after which an unanswered request fails its source and its work moves (default 40). */
  timeoutTicks: number;
  /** Ticks a failed source is left alone before it may be asked again (default 20). */
  retryTicks: number;
}

/** DEFAULT_PULLER_OPTIONS are the pull settings used when the supervisor input gives none. */
export const DEFAULT_PULLER_OPTIONS: Readonly<PullerOptions> = Object.freeze({ chunkSize: 2000, window: 2, timeoutTicks: 40, retryTicks: 20 });

/** NOT_READY_LIMIT is how many NotReady refusals in a row a source gets before its work moves. */
const NOT_READY_LIMIT = 5;
/** NOT_READY_PAUSE is the ticks a NotReady source is left alone before it is asked again. */
const NOT_READY_PAUSE = 2;

/** PullRange is a half-open range [from, to) of global raw positions assigned to one source. */
export interface PullRange {
  source: NodeId;
  from: number;
  to: number;
}

/** PullRequest is one SegmentRequest the puller wants sent. */
export interface PullRequest {
  to: NodeId;
  reqId: number;
  from: number;
  end: number;
}

/** PullerEvent is what the puller reports for the catch-up timeline. */
export type PullerEvent =
  | { kind: 'chunk'; source: NodeId; from: number; to: number; received: number; total: number }
  /** A source answered with a snapshot standing for every position below `to`. */
  | { kind: 'snapshot'; source: NodeId; to: number; received: number; total: number }
  | { kind: 'reassigned'; failed: NodeId; reason: SegmentUnavailableReason | 'Timeout'; ranges: PullRange[] };

interface InFlight {
  source: NodeId;
  from: number;
  to: number;
  sentAt: number;
}

/**
 * SegmentPuller pulls the global raw positions [start, end) from several sources in parallel: it
 * splits the range into one segment per preferred source, asks each source for its segment chunk by
 * chunk (`window` requests in flight), and when a request times out or is refused it moves that
 * source's remaining work to the other ready sources. Entries are kept by position, so a late or
 * duplicate reply is harmless; `takeContiguous` hands out the gap-free prefix in order.
 * It is pure bookkeeping: requests come back from `pump`/`tick`, replies go in through `handleReply`.
 */
export class SegmentPuller<E, P = unknown> {
  private readonly buf: (E | undefined)[];
  /** A snapshot standing for [start, snap.end) (received, not yet handed out if `snapTaken` is false). */
  private snap: { end: number; value: P } | undefined;
  private snapTaken = false;
  private received = 0;
  private deliveredTo: number;
  private nextReqId = 1;
  private readonly queues = new Map<NodeId, { from: number; to: number }[]>();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly ready = new Set<NodeId>();
  private readonly failedUntil = new Map<NodeId, number>();
  private readonly notReady = new Map<NodeId, number>();

  constructor(
    readonly start: number,
    readonly end: number,
    preferred: readonly NodeId[],
    private readonly opts: PullerOptions,
  ) {
    this.buf = new Array<E | undefined>(Math.max(0, end - start));
    this.deliveredTo = start;
    const n = Math.max(1, preferred.length);
    const size = Math.ceil((end - start) / n);
    preferred.forEach((source, i) => {
      const from = start + i * size;
      const to = Math.min(end, from + size);
      this.queues.set(source, from < to ? [{ from, to }] : []);
    });
  }

  /** segments lists the work currently queued per source (for the timeline). */
  segments(): PullRange[] {
    const out: PullRange[] = [];
    for (const [source, q] of this.queues) for (const r of q) out.push({ source, ...r });
    return out;
  }

  /** array is the buffer of pulled entries: index i holds global position start + i. */
  get array(): readonly (E | undefined)[] {
    return this.buf;
  }

  /** deliveredUpTo is the global position up to which takeContiguous handed entries out. */
  get deliveredUpTo(): number {
    return this.deliveredTo;
  }

  /** snapshot is the received snapshot and the global position it ends at, if any. */
  get snapshot(): { end: number; value: P } | undefined {
    return this.snap;
  }

  /** isComplete is true when every position in [start, end) was delivered by takeContiguous. */
  isComplete(): boolean {
    return this.deliveredTo >= this.end;
  }

  /** markReady records that `pid` holds the complete history (it sent ReconfigInit or served a chunk). */
  markReady(pid: NodeId): void {
    this.ready.add(pid);
    if (!this.queues.has(pid)) this.queues.set(pid, []);
  }

  /** resumeFrom takes over what `prior` (same start, shorter range) already pulled and delivered. */
  resumeFrom(prior: SegmentPuller<E, P>): void {
    if (prior.snap) {
      this.snap = prior.snap;
      this.snapTaken = prior.snapTaken;
    }
    const shift = prior.start - this.start;
    prior.buf.forEach((e, i) => {
      const k = i + shift;
      if (e !== undefined && k >= 0 && k < this.buf.length && this.buf[k] === undefined) {
        this.buf[k] = e;
        this.received += 1;
      }
    });
    this.deliveredTo = Math.max(this.deliveredTo, prior.deliveredTo);
  }

  /** pump returns the requests to send now: each healthy source gets up to `window` in flight. */
  pump(now: number): PullRequest[] {
    const out: PullRequest[] = [];
    const busy = new Map<NodeId, number>();
    for (const f of this.inFlight.values()) busy.set(f.source, (busy.get(f.source) ?? 0) + 1);
    for (const [source, q] of this.queues) {
      if ((this.failedUntil.get(source) ?? -1) > now) continue;
      let n = busy.get(source) ?? 0;
      while (n < this.opts.window && q.length > 0) {
        const head = q[0] as { from: number; to: number };
        head.from = this.skipFilled(head.from, head.to);
        if (head.from >= head.to) {
          q.shift();
          continue;
        }
        const to = Math.min(head.to, head.from + this.opts.chunkSize);
        const reqId = this.nextReqId++;
        this.inFlight.set(reqId, { source, from: head.from, to, sentAt: now });
        out.push({ to: source, reqId, from: head.from, end: to });
        head.from = to;
        if (head.from >= head.to) q.shift();
        n += 1;
      }
    }
    return out;
  }

  /** handleReply stores the entries at [from, from + entries.length); returns the timeline event. */
  handleReply(source: NodeId, reqId: number, from: number, entries: readonly E[], snapshot?: { end: number; value: P }): PullerEvent | undefined {
    const asked = this.inFlight.get(reqId);
    this.inFlight.delete(reqId);
    // A source bounds a reply by bytes: what it left out of the request is asked of it again next.
    const answered = from + entries.length;
    if (asked && entries.length > 0 && answered < asked.to) this.queues.get(source)?.unshift({ from: answered, to: asked.to });
    this.failedUntil.delete(source);
    this.notReady.delete(source);
    this.markReady(source);
    if (snapshot && snapshot.end > (this.snap?.end ?? this.start) && snapshot.end <= this.end && snapshot.end > this.deliveredTo) {
      // The snapshot replaces whatever was pulled below its end (not yet handed out past it).
      const covered = Math.min(snapshot.end, this.end) - this.start;
      let fresh = 0;
      for (let k = 0; k < covered; k++) {
        if (this.buf[k] === undefined) fresh += 1;
        this.buf[k] = undefined;
      }
      this.received += fresh;
      this.snap = snapshot;
      this.snapTaken = false;
      this.storeEntries(from, entries);
      return { kind: 'snapshot', source, to: snapshot.end, received: this.received, total: this.buf.length };
    }
    const fresh = this.storeEntries(from, entries);
    if (fresh === 0) return undefined;
    return { kind: 'chunk', source, from, to: from + entries.length, received: this.received, total: this.buf.length };
  }

  /** storeEntries stores replied entries at their positions (skipping held or covered ones); returns how many were new. */
  private storeEntries(from: number, entries: readonly E[]): number {
    let fresh = 0;
    for (let i = 0; i < entries.length; i++) {
      const k = from + i - this.start;
      if (k < 0 || k >= this.buf.length || this.buf[k] !== undefined || from + i < (this.snap?.end ?? 0)) continue;
      this.buf[k] = entries[i];
      fresh += 1;
    }
    this.received += fresh;
    return fresh;
  }

  /**
   * handleUnavailable takes a refusal. NotReady (the source has not learned the decision yet) puts the
   * chunk back and pauses the source for a few ticks, NOT_READY_LIMIT times in a row at most; after
   * that, or for Compacted, the source fails and its work moves to the other ready sources.
   */
  handleUnavailable(source: NodeId, reqId: number, reason: SegmentUnavailableReason, now: number): PullerEvent | undefined {
    const f = this.inFlight.get(reqId);
    if (!f) return undefined;
    if (reason === 'Compacted') this.ready.delete(source);
    const refusals = (this.notReady.get(source) ?? 0) + 1;
    this.notReady.set(source, refusals);
    if (reason === 'NotReady' && refusals <= NOT_READY_LIMIT) {
      this.inFlight.delete(reqId);
      this.queues.get(source)?.unshift({ from: f.from, to: f.to });
      this.failedUntil.set(source, now + NOT_READY_PAUSE);
      return undefined;
    }
    this.notReady.delete(source);
    return this.fail(source, reason, now);
  }

  /** tick fails every source with a request older than `timeoutTicks`; returns what moved. */
  tick(now: number): PullerEvent[] {
    const late = new Set<NodeId>();
    for (const f of this.inFlight.values()) if (now - f.sentAt >= this.opts.timeoutTicks) late.add(f.source);
    const out: PullerEvent[] = [];
    for (const s of late) {
      const e = this.fail(s, 'Timeout', now);
      if (e) out.push(e);
    }
    return out;
  }

  /**
   * takeContiguous returns the newly gap-free entries (in order) and the global position of the first;
   * a received snapshot not handed out yet comes first (`snapshot`, standing for [.., from)).
   */
  takeContiguous(): { from: number; entries: E[]; snapshot?: { end: number; value: P } } {
    let snapshot: { end: number; value: P } | undefined;
    if (this.snap && !this.snapTaken) {
      this.snapTaken = true;
      snapshot = this.snap;
      this.deliveredTo = Math.max(this.deliveredTo, this.snap.end);
    }
    const from = this.deliveredTo;
    let k = from - this.start;
    while (k < this.buf.length && this.buf[k] !== undefined) k += 1;
    const entries = this.buf.slice(from - this.start, k) as E[];
    this.deliveredTo = this.start + k;
    return snapshot ? { from, entries, snapshot } : { from, entries };
  }

  private skipFilled(from: number, to: number): number {
    let p = Math.max(from, this.snap?.end ?? from);
    while (p < to && this.buf[p - this.start] !== undefined) p += 1;
    return p;
  }

  /** fail parks `source` for retryTicks and splits its queued and in-flight work over healthy sources. */
  private fail(source: NodeId, reason: SegmentUnavailableReason | 'Timeout', now: number): PullerEvent | undefined {
    this.failedUntil.set(source, now + this.opts.retryTicks);
    const work: { from: number; to: number }[] = [];
    for (const [id, f] of this.inFlight) {
      if (f.source !== source) continue;
      this.inFlight.delete(id);
      work.push({ from: f.from, to: f.to });
    }
    work.push(...(this.queues.get(source) ?? []));
    this.queues.set(source, []);
    const healthy = [...this.queues.keys()].filter(
      (p) => p !== source && this.ready.has(p) && (this.failedUntil.get(p) ?? -1) <= now,
    );
    const targets = healthy.length > 0 ? healthy : [source];
    const ranges: PullRange[] = [];
    for (const w of work) {
      const from = this.skipFilled(w.from, w.to);
      if (from >= w.to) continue;
      const size = Math.ceil((w.to - from) / targets.length);
      targets.forEach((t, i) => {
        const a = from + i * size;
        const b = Math.min(w.to, a + size);
        if (a >= b) return;
        this.queues.get(t)?.push({ from: a, to: b });
        ranges.push({ source: t, from: a, to: b });
      });
    }
    return { kind: 'reassigned', failed: source, reason, ranges };
  }
}
