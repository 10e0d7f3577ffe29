import type { LogEntry, NodeId } from '@omnipaxos/core';
import type { ClientRequest } from './events.js';
import type { DecidedItem, ReplicatedEntry } from './replicated-entry.js';

interface Pending<T> {
  entry: T;
  /** Tick at which it was last handed to the Paxos actor; undefined while held back. */
  sentAt: number | undefined;
}

/**
 * RequestBook is the supervisor's bookkeeping for reliable appends.
 *
 * - `pending` holds this server's own proposals (rid -> entry) until one copy is decided; proposals
 *   not yet handed to Paxos are "held" (no leader known, reconfiguration running, child restarting),
 *   bounded by `maxHeld`. A proposal handed to Paxos but not decided within the re-propose timeout is
 *   handed again (the core's forwarding to the leader is best-effort).
 * - `seen` remembers the rids of the last `dedupWindow` decided entries. A decided entry whose rid is
 *   in it is a duplicate of a re-proposal and is skipped. The window counts decided entries, not time,
 *   so every replica makes the same skip decisions and assigns the same dense `idx`.
 */
export class RequestBook<T> {
  private readonly pending = new Map<string, Pending<T>>();
  private held = 0;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private seenHead = 0;
  /** nextIdx is the application index the next delivered entry gets. */
  nextIdx = 0;

  constructor(
    private readonly pid: NodeId,
    private readonly maxHeld: number,
    private readonly dedupWindow: number,
  ) {}

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
      this.pending.set(r.rid, { entry: r.entry, sentAt: undefined });
      this.held += 1;
    }
    return refused;
  }

  /** takeHeld marks every held proposal as sent at `now` and returns them tagged for the log. */
  takeHeld(now: number): ReplicatedEntry<T>[] {
    if (this.held === 0) return [];
    const out: ReplicatedEntry<T>[] = [];
    for (const [rid, p] of this.pending) {
      if (p.sentAt !== undefined) continue;
      p.sentAt = now;
      out.push({ rid, origin: this.pid, entry: p.entry });
    }
    this.held = 0;
    return out;
  }

  /** takeOverdue returns the proposals sent at least `timeout` ticks ago, marking them sent again. */
  takeOverdue(now: number, timeout: number): ReplicatedEntry<T>[] {
    const out: ReplicatedEntry<T>[] = [];
    for (const [rid, p] of this.pending) {
      if (p.sentAt === undefined || now - p.sentAt < timeout) continue;
      p.sentAt = now;
      out.push({ rid, origin: this.pid, entry: p.entry });
    }
    return out;
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
   * application index; duplicates (rid already seen) are skipped and own proposals are settled.
   */
  applyDecided(entries: readonly LogEntry<ReplicatedEntry<T>, never>[]): DecidedItem<T>[] {
    const out: DecidedItem<T>[] = [];
    for (const e of entries) {
      if (e.kind !== 'Decided') continue;
      const { rid, origin, entry } = e.entry;
      if (this.remember(rid)) continue;
      const p = this.pending.get(rid);
      if (p) {
        if (p.sentAt === undefined) this.held -= 1;
        this.pending.delete(rid);
      }
      out.push({ idx: this.nextIdx++, entry, rid, origin });
    }
    return out;
  }

  /** remember adds `rid` to the dedup window; returns true if it was already there. */
  private remember(rid: string): boolean {
    if (this.seen.has(rid)) return true;
    this.seen.add(rid);
    this.seenOrder.push(rid);
    if (this.seenOrder.length - this.seenHead > this.dedupWindow) {
      const old = this.seenOrder[this.seenHead++] as string;
      this.seen.delete(old);
      if (this.seenHead > 4096 && this.seenHead * 2 > this.seenOrder.length) {
        this.seenOrder.splice(0, this.seenHead);
        this.seenHead = 0;
      }
    }
    return false;
  }
}
