import type { LogEntry, NodeId } from '@omnipaxos/core';
import { DedupFilter } from './dedup-filter.js';
import type { ClientRequest } from '../events.js';
import { type DecidedItem, type ReplicatedEntry, countOf, originOf, seqOf, sessionOf } from './replicated-entry.js';

/** DEFAULT_MAX_PACK is the default cap on application entries per log entry. */
export const DEFAULT_MAX_PACK = 1024;

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
    /** Most application entries packed into one log entry (see ReplicatedEntry). */
    readonly maxPack: number = DEFAULT_MAX_PACK,
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
   * takeHeld marks every held proposal as sent at `now` and returns them packed for the log: runs of
   * consecutive seqs, at most `maxPack` entries per log entry (the first one carries the session's low
   * mark).
   */
  takeHeld(now: number): ReplicatedEntry<T>[] {
    if (this.held === 0) return [];
    const packer = new Packer<T>(this.pid, this.session, this.low(), this.maxPack);
    for (const p of this.pending.values()) {
      if (p.sentAt !== undefined) continue;
      p.sentAt = now;
      packer.push(p);
    }
    this.held = 0;
    return packer.finish();
  }

  /** takeOverdue returns the proposals sent at least `timeout` ticks ago, packed, marking them sent again. */
  takeOverdue(now: number, timeout: number): ReplicatedEntry<T>[] {
    let packer: Packer<T> | undefined;
    for (const p of this.pending.values()) {
      if (p.sentAt === undefined || now - p.sentAt < timeout) continue;
      p.sentAt = now;
      (packer ??= new Packer<T>(this.pid, this.session, this.low(), this.maxPack)).push(p);
    }
    return packer ? packer.finish() : [];
  }

  /** low is the lowest undecided seq of this session (`pending` is in seq order). */
  private low(): number {
    for (const p of this.pending.values()) return p.seq;
    return this.nextSeq;
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
      const start = seqOf(e);
      const end = start + countOf(e);
      for (let seq = start; seq < end; seq++) {
        const p = this.pending.get(seq);
        if (p) this.unsend(p);
      }
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
   * applyDecided takes decided log entries in order and returns the application entries to deliver
   * (each log entry unpacked into its entries, in order), with their application index; duplicates are
   * skipped per seq (a batch re-proposed in other groupings still delivers each entry once) and own
   * proposals are settled (their items carry the rid). A decided stop sign ends the configuration: the duplicate filter starts afresh with the next
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
      const payloads = r[0];
      const origin = r[1];
      const session = r[2];
      const seqStart = r[3];
      const own = origin === this.pid && session === this.session;
      let low = r[4] ?? 0;
      // The usual case: the batch's seqs are the next ones expected, every entry is new. Every replica
      // (proposer or not) goes through the same filter calls, so all make the same decisions.
      if (filter.takeRun(origin, session, seqStart, payloads.length, low)) {
        for (let i = 0; i < payloads.length; i++) {
          const rid = own ? this.settle(seqStart + i) : undefined;
          out.push({ idx: this.nextIdx++, entry: payloads[i] as T, origin, rid });
        }
        continue;
      }
      for (let i = 0; i < payloads.length; i++) {
        const seq = seqStart + i;
        const dup = filter.isDuplicate(origin, session, seq, low);
        low = 0;
        if (dup) {
          if (own) this.reissue(seq);
          continue;
        }
        out.push({ idx: this.nextIdx++, entry: payloads[i] as T, origin, rid: own ? this.settle(seq) : undefined });
      }
    }
    return out;
  }

  /** settle forgets the own pending proposal with `seq` (decided) and returns its rid. */
  private settle(seq: number): string | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    if (p.sentAt === undefined) this.held -= 1;
    this.pending.delete(seq);
    this.rids.delete(p.rid);
    return p.rid;
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

/**
 * Packer groups proposals (in seq order as `pending` holds them) into log entries: a new log entry
 * starts at a gap in the seqs (a reissued proposal) or when `maxPack` entries are packed. The first
 * log entry carries the session's low mark.
 */
class Packer<T> {
  private readonly out: ReplicatedEntry<T>[] = [];
  private entries: T[] = [];
  private start = -1;

  constructor(
    private readonly pid: NodeId,
    private readonly session: number,
    private readonly low: number,
    private readonly maxPack: number,
  ) {}

  push(p: Pending<T>): void {
    if (this.entries.length > 0 && (p.seq !== this.start + this.entries.length || this.entries.length >= this.maxPack)) this.close();
    if (this.entries.length === 0) this.start = p.seq;
    this.entries.push(p.entry);
  }

  finish(): ReplicatedEntry<T>[] {
    if (this.entries.length > 0) this.close();
    return this.out;
  }

  private close(): void {
    const entries = this.entries;
    this.entries = [];
    this.out.push(
      this.out.length === 0 ? [entries, this.pid, this.session, this.start, this.low] : [entries, this.pid, this.session, this.start],
    );
  }
}
