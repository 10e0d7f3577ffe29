import type { NodeId } from '@omnipaxos/core';

/**
 * Stream is what the filter knows of one proposer session: every seq below `next` was seen; `ahead`
 * holds the seen seqs above `next` (decided out of order); `lastUsed` is the filter's count at the
 * stream's last entry (for idle eviction).
 */
interface Stream {
  origin: NodeId;
  session: number;
  next: number;
  ahead: Set<number> | undefined;
  lastUsed: number;
}

/**
 * DedupFilter recognises re-proposed copies in the decided stream without hashing request ids. Each
 * proposer session (origin, session) numbers its proposals 0, 1, 2, …; the filter keeps per session a
 * high-water mark `next` (every seq below it was seen) plus the small set of seqs seen above it, so an
 * in-order entry costs two comparisons. An entry may also carry `low` (the first of each batch a
 * proposer hands to Paxos does), the proposer's lowest undecided
 * seq: everything below it was decided before, which closes gaps left by entries decided in an earlier
 * configuration.
 *
 * Its state is a function of the decided entries it was shown (since the last `reset`), so every
 * replica makes the same skip decisions. Bounds: a session idle for `idleWindow` checked entries is
 * forgotten (a copy of it decided later is not recognised), and a session with more than `maxAhead`
 * out-of-order seqs gives up on its oldest gap (a late first copy of it is then reported as a
 * duplicate; `RequestBook` re-proposes such an entry under a new seq).
 */
export class DedupFilter {
  private readonly streams = new Map<NodeId, Map<number, Stream>>();
  private last: Stream | undefined;
  private count = 0;
  private nextSweep: number;

  constructor(
    /** Checked entries after which a session with no entry is forgotten. */
    readonly idleWindow: number,
    /** Most out-of-order seqs remembered per session. */
    readonly maxAhead: number,
  ) {
    this.nextSweep = idleWindow;
  }

  /** streamCount is the number of sessions remembered (for tests and diagnostics). */
  get streamCount(): number {
    let n = 0;
    for (const m of this.streams.values()) n += m.size;
    return n;
  }

  /** aheadCount is the number of out-of-order seqs remembered across sessions. */
  get aheadCount(): number {
    let n = 0;
    for (const m of this.streams.values()) for (const s of m.values()) n += s.ahead?.size ?? 0;
    return n;
  }

  /**
   * isDuplicate returns true if (origin, session, seq) was seen; otherwise it records it and returns
   * false. `low` is the proposer's lowest undecided seq when it proposed this copy (0 when the entry
   * carries none: it then says nothing).
   */
  isDuplicate(origin: NodeId, session: number, seq: number, low: number): boolean {
    this.count += 1;
    let s = this.last;
    if (s === undefined || s.session !== session || s.origin !== origin) s = this.stream(origin, session);
    s.lastUsed = this.count;
    if (low > s.next) this.advance(s, low);
    let dup = false;
    if (seq < s.next) dup = true;
    else if (seq === s.next) {
      s.next += 1;
      if (s.ahead) this.drain(s);
    } else if (s.ahead?.has(seq)) dup = true;
    else {
      (s.ahead ??= new Set()).add(seq);
      if (s.ahead.size > this.maxAhead) this.advance(s, minOf(s.ahead));
    }
    if (this.count >= this.nextSweep) this.sweep();
    return dup;
  }

  /**
   * takeRun is the fast path for a packed batch: if seqs `seq` … `seq + n - 1` of (origin, session) are
   * exactly the next ones expected (after applying `low`) and none was seen out of order, it records
   * them all and returns true. Otherwise it changes nothing but `low` and returns false: check the
   * seqs one by one with `isDuplicate`.
   */
  takeRun(origin: NodeId, session: number, seq: number, n: number, low: number): boolean {
    let s = this.last;
    if (s === undefined || s.session !== session || s.origin !== origin) s = this.stream(origin, session);
    if (low > s.next) this.advance(s, low);
    if (seq !== s.next || s.ahead !== undefined) return false;
    this.count += n;
    s.lastUsed = this.count;
    s.next += n;
    if (this.count >= this.nextSweep) this.sweep();
    return true;
  }

  /** reset forgets everything: a new configuration's log starts with a fresh filter on every replica. */
  reset(): void {
    this.streams.clear();
    this.last = undefined;
    this.count = 0;
    this.nextSweep = this.idleWindow;
  }

  private stream(origin: NodeId, session: number): Stream {
    let byOrigin = this.streams.get(origin);
    if (!byOrigin) this.streams.set(origin, (byOrigin = new Map()));
    let s = byOrigin.get(session);
    if (!s) byOrigin.set(session, (s = { origin, session, next: 0, ahead: undefined, lastUsed: 0 }));
    this.last = s;
    return s;
  }

  /** advance declares every seq below `to` seen. */
  private advance(s: Stream, to: number): void {
    s.next = to;
    if (!s.ahead) return;
    for (const x of s.ahead) if (x < to) s.ahead.delete(x);
    this.drain(s);
  }

  private drain(s: Stream): void {
    const ahead = s.ahead as Set<number>;
    while (ahead.delete(s.next)) s.next += 1;
    if (ahead.size === 0) s.ahead = undefined;
  }

  private sweep(): void {
    this.nextSweep = this.count + this.idleWindow;
    const cutoff = this.count - this.idleWindow;
    for (const [origin, byOrigin] of this.streams) {
      for (const [session, s] of byOrigin) if (s.lastUsed <= cutoff) byOrigin.delete(session);
      if (byOrigin.size === 0) this.streams.delete(origin);
    }
    if (this.last && this.last.lastUsed <= cutoff) this.last = undefined;
  }
}

function minOf(xs: Set<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}
