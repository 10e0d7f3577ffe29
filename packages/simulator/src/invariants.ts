import type { NodeId, OmniPaxos, Storage } from '@omnipaxos/core';
import { describeBallot, describeValue } from './describe.js';

/** InvariantViolation is thrown when a safety property of the replicated log is broken. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** InvariantCheckerOptions tune what the checker may assume about the run. */
export interface InvariantCheckerOptions<T> {
  /** Turns an entry into a comparable key; default: strings as they are, others as JSON. */
  keyOf?: (entry: T) => string;
  /** When true (no message duplication), no proposal may be decided twice. */
  uniqueDecisions?: boolean;
}

/**
 * InvariantChecker watches the replicas of one cluster and throws InvariantViolation when:
 * two replicas decided different entries at one index; a replica compacted past its decided index;
 * a decided entry was never proposed; an entry was decided twice (only without duplication); a
 * replica's decided index went back (also across a crash and restart); two leaders hold the same
 * ballot, or a leader holds another's ballot.
 * It checks incrementally: each call reads only what was decided since the last call.
 */
export class InvariantChecker<T, S> {
  private readonly decided = new Map<number, string>();
  private readonly lastDecided = new Map<NodeId, number>();
  private readonly proposed = new Set<string>();
  private readonly decidedKeys = new Set<string>();
  private readonly keyOf: (entry: T) => string;
  private readonly uniqueDecisions: boolean;

  constructor(options: InvariantCheckerOptions<T> = {}) {
    this.keyOf = options.keyOf ?? ((e: T) => describeValue(e));
    this.uniqueDecisions = options.uniqueDecisions ?? true;
  }

  /** recordProposal notes that `entry` was proposed (so it may be decided). */
  recordProposal(entry: T): void {
    this.proposed.add(this.keyOf(entry));
  }

  /** decidedAt returns the key decided at `idx` by any replica, if known. */
  decidedAt(idx: number): string | undefined {
    return this.decided.get(idx);
  }

  /** decidedCount returns how many indices some replica has decided. */
  decidedCount(): number {
    return this.decided.size;
  }

  /**
   * forgetReplica restarts the watch of `pid` from scratch: after a crash that lost unflushed writes
   * its decided index may legitimately go back; what it decides again is checked against the rest.
   */
  forgetReplica(pid: NodeId): void {
    this.lastDecided.delete(pid);
  }

  /** checkReplica checks what `r` decided since the last check. */
  checkReplica(r: OmniPaxos<T, S>): void {
    const pid = r.pid;
    const before = this.lastDecided.get(pid) ?? 0;
    const now = r.getDecidedIdx();
    if (r.getCompactedIdx() > now) {
      throw new InvariantViolation(`replica ${pid}: compacted to ${r.getCompactedIdx()}, past its decided index ${now}`);
    }
    if (now < before) {
      throw new InvariantViolation(`replica ${pid}: decided index went back from ${before} to ${now}`);
    }
    if (now === before) return;
    const from = Math.max(before, r.getCompactedIdx());
    const entries = from < now ? (r.readEntries(from, now) ?? []) : [];
    let idx = from;
    for (const e of entries) {
      if (e.kind === 'Trimmed' || e.kind === 'Snapshotted') {
        idx = e.trimmedIdx;
        continue;
      }
      let key: string;
      if (e.kind === 'StopSign') {
        key = `stopsign:c${e.stopSign.nextConfig.configurationId}`;
      } else if (e.kind === 'Decided') {
        key = this.keyOf(e.entry);
        if (!this.proposed.has(key)) throw new InvariantViolation(`replica ${pid}: decided ${key} at ${idx}, which was never proposed`);
      } else {
        throw new InvariantViolation(`replica ${pid}: entry ${idx} is below the decided index ${now} but reads as undecided`);
      }
      const seen = this.decided.get(idx);
      if (seen === undefined) {
        if (this.uniqueDecisions && e.kind === 'Decided' && this.decidedKeys.has(key)) {
          throw new InvariantViolation(`replica ${pid}: ${key} decided a second time, at ${idx}`);
        }
        this.decided.set(idx, key);
        this.decidedKeys.add(key);
      } else if (seen !== key) {
        throw new InvariantViolation(`replica ${pid}: decided ${key} at ${idx}, but ${seen} was decided there before`);
      }
      idx += 1;
    }
    this.lastDecided.set(pid, now);
  }

  /**
   * checkDecidedLog rereads `r`'s decided log from its compacted index and checks every entry against
   * the first value decided at that index (by any replica): it catches a replica that rewrites an
   * index it had already decided, which `checkReplica` (reading only newly decided indices) misses.
   */
  checkDecidedLog(r: OmniPaxos<T, S>): void {
    const now = r.getDecidedIdx();
    const from = r.getCompactedIdx();
    if (from >= now) return;
    let idx = from;
    for (const e of r.readEntries(from, now) ?? []) {
      if (e.kind === 'Trimmed' || e.kind === 'Snapshotted') {
        idx = e.trimmedIdx;
        continue;
      }
      let key: string | undefined;
      if (e.kind === 'StopSign') key = `stopsign:c${e.stopSign.nextConfig.configurationId}`;
      else if (e.kind === 'Decided') key = this.keyOf(e.entry);
      const first = this.decided.get(idx);
      if (key === undefined || (first !== undefined && first !== key)) {
        const held = key ?? `an undecided entry`;
        throw new InvariantViolation(`replica ${r.pid}: index ${idx} holds ${held}, but ${first ?? 'a decided entry'} was decided there`);
      }
      idx += 1;
    }
  }

  /**
   * checkDurableQuorum checks that every entry decided so far is held durably by at least `quorum` of
   * `durable` (each server's durable storage: what a crash now would leave): an index below a
   * storage's compacted index counts as held. Run it where a crash can lose unflushed writes.
   */
  checkDurableQuorum(durable: ReadonlyMap<NodeId, Storage<T, S>>, quorum: number): void {
    for (const [idx, key] of this.decided) {
      let holders = 0;
      for (const s of durable.values()) {
        if (idx < s.getCompactedIdx()) holders += 1;
        else if (key.startsWith('stopsign:')) {
          const ss = s.getStopsign();
          if (ss !== undefined && s.getCompactedIdx() + s.getLogLen() === idx && `stopsign:c${ss.nextConfig.configurationId}` === key) holders += 1;
        } else {
          const e = s.getEntries(idx, idx + 1)[0];
          if (e !== undefined && this.keyOf(e) === key) holders += 1;
        }
      }
      if (holders < quorum) {
        throw new InvariantViolation(`${key}, decided at ${idx}, is durable on ${holders} servers only (a write quorum is ${quorum})`);
      }
    }
  }

  /** checkLeaders checks that no two replicas lead with one ballot and that a leader leads its own ballot. */
  checkLeaders(replicas: Iterable<OmniPaxos<T, S>>): void {
    const byBallot = new Map<string, NodeId>();
    for (const r of replicas) {
      const s = r.getStatus();
      if (s.role !== 'Leader') continue;
      if (s.promise.pid !== r.pid) {
        throw new InvariantViolation(`replica ${r.pid} acts as leader under ${describeBallot(s.promise)}, another's ballot`);
      }
      const key = describeBallot(s.promise);
      const other = byBallot.get(key);
      if (other !== undefined) throw new InvariantViolation(`replicas ${other} and ${r.pid} both lead ballot ${key}`);
      byBallot.set(key, r.pid);
    }
  }
}
