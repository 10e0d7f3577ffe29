import type { ClusterConfig, Storage } from '@omnipaxos/core';
import type { HistorySnapshot } from './history-snapshot.js';
import type { ConfigSummary } from './migration-messages.js';

/**
 * EntryReader reads decided entries of one configuration by local position [from, to). It returns
 * undefined when part of the range is no longer held (trimmed or snapshotted).
 */
export type EntryReader<E> = (from: number, to: number) => E[] | undefined;

/** storageReader reads a configuration's entries from its core Storage (absolute local indices). */
export function storageReader<E>(storage: Storage<E, never>): EntryReader<E> {
  return (from, to) => {
    if (from < storage.getCompactedIdx()) return undefined;
    const out = storage.getEntries(from, to);
    return out.length === to - from ? out : undefined;
  };
}

/** arrayReader reads a configuration's entries from `array`, where local position 0 is at `offset`. */
export function arrayReader<E>(array: readonly (E | undefined)[], offset: number): EntryReader<E> {
  return (from, to) => array.slice(offset + from, offset + to) as E[];
}

/** splicedReader reads local [0, split) with `head` and [split, ...) with `tail` (tail's position 0 = split). */
export function splicedReader<E>(head: EntryReader<E>, split: number, tail: EntryReader<E>): EntryReader<E> {
  return (from, to) => {
    if (to <= split) return head(from, to);
    if (from >= split) return tail(from - split, to - split);
    const a = head(from, split);
    const b = tail(0, to - split);
    return a && b ? a.concat(b) : undefined;
  };
}

interface HistoryRecord<E> {
  config: ClusterConfig;
  length: number;
  /** Global raw position of the configuration's local position 0. */
  start: number;
  read: EntryReader<E>;
  /** Drops the configuration's entries from where they are kept, once a snapshot covers them. */
  drop: (() => void) | undefined;
}

const compacted: EntryReader<never> = () => undefined;

/**
 * HistoryLog is one server's copy of the finished configurations' decided logs, addressed by global
 * raw position: configuration i's local position p is global position start(i) + p, where start(i)
 * is the sum of the lengths of the configurations before it. Every server that completed the handover
 * holds the same HistoryLog content; it serves SegmentRequests from it.
 */
export class HistoryLog<E> {
  private readonly records: HistoryRecord<E>[] = [];
  private snap: HistorySnapshot | undefined;

  /** base is the snapshot standing for the compacted prefix [0, base.rawEnd), if any. */
  get base(): HistorySnapshot | undefined {
    return this.snap;
  }

  /** spans lists every finished configuration with its global start and length. */
  spans(): { config: ClusterConfig; start: number; length: number }[] {
    return this.records.map((r) => ({ config: r.config, start: r.start, length: r.length }));
  }

  /**
   * compact installs `snap` as the base: positions below `snap.rawEnd` are no longer read (requests
   * for them are answered with the snapshot). Returns the covered configurations' `drop` callbacks,
   * to run once the snapshot is durable. A snapshot not newer than the current base is ignored.
   */
  compact(snap: HistorySnapshot): (() => void)[] {
    if (this.snap && this.snap.rawEnd >= snap.rawEnd) return [];
    this.snap = snap;
    const drops: (() => void)[] = [];
    for (const r of this.records) {
      if (r.start + r.length > snap.rawEnd) continue;
      r.read = compacted;
      if (r.drop) drops.push(r.drop);
      r.drop = undefined;
    }
    return drops;
  }

  /** total is the number of global raw positions held: the start of the current configuration. */
  get total(): number {
    const last = this.records[this.records.length - 1];
    return last ? last.start + last.length : 0;
  }

  /** lastConfigurationId is the id of the newest finished configuration (0 if none). */
  get lastConfigurationId(): number {
    return this.records[this.records.length - 1]?.config.configurationId ?? 0;
  }

  /** summaries lists every finished configuration in order (what ReconfigInit carries). */
  summaries(): ConfigSummary[] {
    return this.records.map((r) => ({ config: { ...r.config, nodes: [...r.config.nodes] }, length: r.length }));
  }

  /** has is true when configuration `configurationId` is finished and held here. */
  has(configurationId: number): boolean {
    return this.records.some((r) => r.config.configurationId === configurationId);
  }

  /** append records a finished configuration after the last one; `drop` frees its entries once compacted. */
  append(config: ClusterConfig, length: number, read: EntryReader<E>, drop?: () => void): void {
    const covered = this.snap !== undefined && this.total + length <= this.snap.rawEnd;
    this.records.push({ config: { ...config, nodes: [...config.nodes] }, length, start: this.total, read: covered ? compacted : read, drop: covered ? undefined : drop });
  }

  /** truncateAfter forgets every configuration after `configurationId` (used before installing a pulled history). */
  truncateAfter(configurationId: number): void {
    const keep = this.records.findIndex((r) => r.config.configurationId > configurationId);
    if (keep >= 0) this.records.length = keep;
  }

  /**
   * read returns the entries at global raw positions [from, to) (to <= total), or undefined when a
   * configuration no longer holds part of the range.
   */
  read(from: number, to: number): E[] | undefined {
    if (this.snap && from < this.snap.rawEnd) return undefined;
    const out: E[] = [];
    for (const r of this.records) {
      const a = Math.max(from, r.start);
      const b = Math.min(to, r.start + r.length);
      if (a >= b) continue;
      const part = r.read(a - r.start, b - r.start);
      if (!part) return undefined;
      for (const e of part) out.push(e);
    }
    return out.length === to - from ? out : undefined;
  }
}
