import type { LogEntry, NodeId } from '@omnipaxos/core';
import { DedupFilter } from './dedup-filter.js';
import type { ClientRequest } from './events.js';
import type { DecidedItem, ReplicatedEntry } from './replicated-entry.js';

interface Pending<T> {
  entry: T;
  /** The proposal number in this book's session; `pending` is kept in increasing seq order. */
  seq: number;
  /** Tick at which it was last handed to the Paxos actor; undefined while held back. */
  sentAt: number | undefined;
}

/** randomSession picks a session id: a random 32-bit integer (distinct per supervisor instance). */
export function randomSession(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0] as number;
}

/**
 * RequestBook is the supervisor's bookkeeping for reliable appends.
 *
 * - `pending` holds this server's own proposals (rid -> entry) until one copy is decided; proposals
 *   not yet handed to Paxos are "held" (no leader known, reconfiguration running, child restarting),
 *   bounded by `maxHeld`. A proposal handed to Paxos but not decided within the re-propose timeout is
 *   handed again (the core's forwarding to the leader is best-effort). Every copy carries the same
 *   (`session`, `seq`), numbered in arrival order.
 * - A DedupFilter over the decided stream skips copies whose (origin, session, seq) was seen. Its state
 *   depends only on the decided entries of the current configuration (it is reset at a decided stop
 *   sign), so every replica makes the same skip decisions and assigns the same dense `idx`.
 * - If the filter skips this server's own still-pending proposal (its gap was given up, see
 *   DedupFilter), the proposal is held again under a new seq, so its promise still resolves once.
 */
export class RequestBook<T> {
  private readonly pending = new Map<string, Pending<T>>();
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
      if (this.pending.has(r.rid)) continue;
      if (this.held >= this.maxHeld) {
        refused.push(r.rid);
        continue;
      }
      this.pending.set(r.rid, { entry: r.entry, seq: this.nextSeq++, sentAt: undefined });
      this.held += 1;
    }
    return refused;
  }

  /** takeHeld marks every held proposal as sent at `now` and returns them tagged for the log. */
  takeHeld(now: number): ReplicatedEntry<T>[] {
    if (this.held === 0) return [];
    const out: ReplicatedEntry<T>[] = [];
    const low = this.low();
    for (const [rid, p] of this.pending) {
      if (p.sentAt !== undefined) continue;
      p.sentAt = now;
      out.push(this.tag(rid, p, low));
    }
    this.held = 0;
    return out;
  }

  /** takeOverdue returns the proposals sent at least `timeout` ticks ago, marking them sent again. */
  takeOverdue(now: number, timeout: number): ReplicatedEntry<T>[] {
    const out: ReplicatedEntry<T>[] = [];
    const low = this.low();
    for (const [rid, p] of this.pending) {
      if (p.sentAt === undefined || now - p.sentAt < timeout) continue;
      p.sentAt = now;
      out.push(this.tag(rid, p, low));
    }
    return out;
  }

  /** low is the lowest undecided seq of this session (`pending` is in seq order). */
  private low(): number {
    for (const p of this.pending.values()) return p.seq;
    return this.nextSeq;
  }

  private tag(rid: string, p: Pending<T>, low: number): ReplicatedEntry<T> {
    return { rid, origin: this.pid, entry: p.entry, session: this.session, seq: p.seq, low };
  }

  /** holdAgain puts proposals back on hold (refused by Paxos, or their Paxos actor restarted). */
  holdAgain(rids?: readonly string[]): void {
    const keys = rids ?? [...this.pending.keys()];
    for (const rid of keys) {
      const p = this.pending.get(rid);
      if (p && p.sentAt !== undefined) {
        p.sentAt = undefined;
        this.held += 1;
      }
    }
  }

  /** removeAll forgets every pending proposal and returns their rids (to reject their promises). */
  removeAll(): string[] {
    const rids = [...this.pending.keys()];
    this.pending.clear();
    this.held = 0;
    return rids;
  }

  /**
   * applyDecided takes decided log entries in order and returns the ones to deliver, with their
   * application index; duplicates are skipped and own proposals are settled. A decided stop sign ends
   * the configuration: the duplicate filter starts afresh with the next configuration's log.
   */
  applyDecided(entries: readonly LogEntry<ReplicatedEntry<T>, never>[]): DecidedItem<T>[] {
    const out: DecidedItem<T>[] = [];
    for (const e of entries) {
      if (e.kind !== 'Decided') {
        if (e.kind === 'StopSign' && e.decided) this.filter.reset();
        continue;
      }
      const r = e.entry;
      if (this.filter.isDuplicate(r.origin, r.session, r.seq, r.low)) {
        if (r.origin === this.pid && r.session === this.session) this.reissue(r.rid, r.seq);
        continue;
      }
      if (r.origin === this.pid && r.session === this.session) {
        const p = this.pending.get(r.rid);
        if (p) {
          if (p.sentAt === undefined) this.held -= 1;
          this.pending.delete(r.rid);
        }
      }
      out.push({ idx: this.nextIdx++, entry: r.entry, rid: r.rid, origin: r.origin });
    }
    return out;
  }

  /**
   * reissue holds a still-pending proposal again under a new seq when the filter skipped its copy with
   * `seq` (the filter gave up waiting for that seq); copies with the old seq stay skipped everywhere.
   */
  private reissue(rid: string, seq: number): void {
    const p = this.pending.get(rid);
    if (!p || p.seq !== seq) return;
    this.pending.delete(rid);
    p.seq = this.nextSeq++;
    if (p.sentAt !== undefined) {
      p.sentAt = undefined;
      this.held += 1;
    }
    this.pending.set(rid, p);
  }
}
