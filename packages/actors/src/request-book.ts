import type { LogEntry, NodeId } from '@omnipaxos/core';
import { DedupFilter } from './dedup-filter.js';
import type { ClientRequest } from './events.js';
import { type DecidedItem, type ReplicatedEntry, originOf, seqOf, sessionOf } from './replicated-entry.js';

interface Pending<T> {
  rid: string;
  entry: T;
  /** The proposal number in this book's session (the key of `pending`). */
  seq: number;
  /** Tick at which it was last handed to the Paxos actor; undefined while held back. */
  sentAt: number | undefined;
}

/**
 * randomSession picks a session id: a random 30-bit integer (distinct per supervisor instance; small
 * enough to stay a V8 small integer, which copies and compares cheaply).
 */
export function randomSession(): number {
  return (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] as number) >>> 2;
}

/**
 * RequestBook is the supervisor's bookkeeping for reliable appends.
 *
 * - `pending` holds this server's own proposals (by seq) until one copy is decided; proposals
 *   not yet handed to Paxos are "held" (no leader known, reconfiguration running, child restarting),
 *   bounded by `maxHeld`. A proposal handed to Paxos but not decided within the re-propose timeout is
 *   handed again (the core's forwarding to the leader is best-effort). Every copy carries the same
 *   (`session`, `seq`), numbered in arrival order; a decided copy is matched to its request by its seq
 *   (request ids are not replicated).
 * - A DedupFilter over the decided stream skips copies whose (origin, session, seq) was seen. Its state
 *   depends only on the decided entries of the current configuration (it is reset at a decided stop
 *   sign), so every replica makes the same skip decisions and assigns the same dense `idx`.
 * - If the filter skips this server's own still-pending proposal (its gap was given up, see
 *   DedupFilter), the proposal is held again under a new seq, so its promise still resolves once.
 */
export class RequestBook<T> {
  /** Own undecided proposals by seq; Map order is increasing seq (a reissued one is re-inserted last). */
  private readonly pending = new Map<number, Pending<T>>();
  /** The rids in `pending`: a request added again while pending is not proposed twice. */
  private readonly rids = new Set<string>();
  private held = 0;
  private nextSeq = 0;
  private readonly filter: DedupFilter;
  /** nextIdx is the application index the next delivered entry gets. */
  nextIdx = 0;

  constructor(
    private readonly pid: NodeId,
    private readonly maxHeld: number,
    dedupWindow: number,
    /** This supervisor instance's session id (default random). */
    readonly session: number = randomSession(),
  ) {
    this.filter = new DedupFilter(dedupWindow, dedupWindow);
  }

  /** dedup exposes the duplicate filter's bounds, for tests and diagnostics. */
  get dedup(): Pick<DedupFilter, 'streamCount' | 'aheadCount'> {
    return this.filter;
  }

  /** size is the number of undecided own proposals. */
  get size(): number {
    return this.pending.size;
  }

  /** heldCount is the number of proposals held back. */
  get heldCount(): number {
    return this.held;
  }

  /** add records new requests as held; returns the rids refused because the held queue is full. */
  add(requests: readonly ClientRequest<T>[]): string[] {
    const refused: string[] = [];
    for (const r of requests) {
      if (this.rids.has(r.rid)) continue;
      if (this.held >= this.maxHeld) {
        refused.push(r.rid);
        continue;
      }
      const seq = this.nextSeq++;
      this.pending.set(seq, { rid: r.rid, entry: r.entry, seq, sentAt: undefined });
      this.rids.add(r.rid);
      this.held += 1;
    }
    return refused;
  }

  /**
   * takeHeld marks every held proposal as sent at `now` and returns them tagged for the log (the first
   * one carries the session's low mark).
   */
  takeHeld(now: number): ReplicatedEntry<T>[] {
    if (this.held === 0) return [];
    const out: ReplicatedEntry<T>[] = [];
    const low = this.low();
    for (const p of this.pending.values()) {
      if (p.sentAt !== undefined) continue;
      p.sentAt = now;
      out.push(this.tag(p, out.length === 0 ? low : -1));
    }
    this.held = 0;
    return out;
  }

  /** takeOverdue returns the proposals sent at least `timeout` ticks ago, marking them sent again. */
  takeOverdue(now: number, timeout: number): ReplicatedEntry<T>[] {
    const out: ReplicatedEntry<T>[] = [];
    let low = -1;
    for (const p of this.pending.values()) {
      if (p.sentAt === undefined || now - p.sentAt < timeout) continue;
      p.sentAt = now;
      if (out.length === 0) low = this.low();
      out.push(this.tag(p, out.length === 0 ? low : -1));
    }
    return out;
  }

  /** low is the lowest undecided seq of this session (`pending` is in seq order). */
  private low(): number {
    for (const p of this.pending.values()) return p.seq;
    return this.nextSeq;
  }

  /** tag builds the log entry of a proposal; `low` < 0 leaves the low mark out. */
  private tag(p: Pending<T>, low: number): ReplicatedEntry<T> {
    return low < 0 ? [p.entry, this.pid, this.session, p.seq] : [p.entry, this.pid, this.session, p.seq, low];
  }

  /**
   * holdAgain puts proposals back on hold (refused by Paxos, or their Paxos actor restarted): the given
   * log entries of this session, or every pending proposal.
   */
  holdAgain(entries?: readonly ReplicatedEntry<T>[]): void {
    if (!entries) {
      for (const p of this.pending.values()) this.unsend(p);
      return;
    }
    for (const e of entries) {
      if (originOf(e) !== this.pid || sessionOf(e) !== this.session) continue;
      const p = this.pending.get(seqOf(e));
      if (p) this.unsend(p);
    }
  }

  private unsend(p: Pending<T>): void {
    if (p.sentAt === undefined) return;
    p.sentAt = undefined;
    this.held += 1;
  }

  /** removeAll forgets every pending proposal and returns their rids (to reject their promises). */
  removeAll(): string[] {
    const rids = [...this.rids];
    this.pending.clear();
    this.rids.clear();
    this.held = 0;
    return rids;
  }

  /**
   * applyDecided takes decided log entries in order and returns the ones to deliver, with their
   * application index; duplicates are skipped and own proposals are settled (their items carry the
   * rid). A decided stop sign ends the configuration: the duplicate filter starts afresh with the next
   * configuration's log.
   */
  applyDecided(entries: readonly LogEntry<ReplicatedEntry<T>, never>[]): DecidedItem<T>[] {
    const out: DecidedItem<T>[] = [];
    const filter = this.filter;
    for (const e of entries) {
      if (e.kind !== 'Decided') {
        if (e.kind === 'StopSign' && e.decided) filter.reset();
        continue;
      }
      const r = e.entry;
      const origin = r[1];
      const seq = r[3];
      const own = origin === this.pid && r[2] === this.session;
      if (filter.isDuplicate(origin, r[2], seq, r[4] ?? 0)) {
        if (own) this.reissue(seq);
        continue;
      }
      let rid: string | undefined;
      if (own) {
        const p = this.pending.get(seq);
        if (p) {
          if (p.sentAt === undefined) this.held -= 1;
          this.pending.delete(seq);
          this.rids.delete(p.rid);
          rid = p.rid;
        }
      }
      out.push({ idx: this.nextIdx++, entry: r[0], origin, rid });
    }
    return out;
  }

  /**
   * reissue holds a still-pending proposal again under a new seq when the filter skipped its copy with
   * `seq` (the filter gave up waiting for that seq); copies with the old seq stay skipped everywhere.
   */
  private reissue(seq: number): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    p.seq = this.nextSeq++;
    this.unsend(p);
    this.pending.set(p.seq, p);
  }
}
