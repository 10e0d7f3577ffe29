import type { ClusterConfig, LogEntry } from '@omnipaxos/core';
import type { HistoryLog } from './history-log.js';
import type { HistorySnapshot } from './history-snapshot.js';
import type { ConfigSummary } from './migration-messages.js';
import type { DecidedItem, ReplicatedEntry } from '../replica/replicated-entry.js';
import type { RequestBook } from '../replica/request-book.js';

type Log<T> = LogEntry<ReplicatedEntry<T>, never>[];

/**
 * PulledReplay delivers a history this server did not decide itself (pulled, or read back after a
 * restart) through the RequestBook's duplicate filter exactly as the deciding servers did: a decided
 * stop sign at every configuration end (the filter resets there), and a snapshot sets the
 * application index to its `appEnd` with an empty filter (it ends at a configuration end).
 */
export class PulledReplay<T> {
  private ends: { end: number; next: ClusterConfig }[] = [];

  constructor(private readonly book: RequestBook<T>) {}

  /** plan records the configuration ends of `history` (followed by `nextConfig`) after position `deliveredTo`. */
  plan(history: readonly ConfigSummary[], nextConfig: ClusterConfig, deliveredTo: number): void {
    this.ends = [];
    let end = 0;
    history.forEach((h, i) => {
      end += h.length;
      // Stop signs at or before the first undelivered position were already applied here.
      if (end > deliveredTo) this.ends.push({ end, next: history[i + 1]?.config ?? nextConfig });
    });
  }

  /** clear forgets the planned configuration ends. */
  clear(): void {
    this.ends = [];
  }

  /** deliver replays pulled entries at global raw positions from `from` on, after `snapshot` if one came first. */
  deliver(from: number, entries: readonly ReplicatedEntry<T>[], snapshot?: HistorySnapshot): DecidedItem<T>[] {
    if (snapshot) this.install(snapshot);
    const log: Log<T> = [];
    let pos = from;
    for (const entry of entries) {
      this.pushStopSigns(log, pos);
      log.push({ kind: 'Decided', entry });
      pos += 1;
    }
    this.pushStopSigns(log, pos);
    return this.book.applyDecided(log);
  }

  /** install makes the application index continue after `snapshot`, with a fresh duplicate filter. */
  private install(snapshot: HistorySnapshot): void {
    while (this.ends.length > 0 && (this.ends[0] as { end: number }).end <= snapshot.rawEnd) this.ends.shift();
    this.book.nextIdx = snapshot.appEnd;
    this.book.applyDecided([{ kind: 'StopSign', stopSign: { nextConfig: { configurationId: snapshot.configurationId + 1, nodes: [] } }, decided: true }]);
  }

  private pushStopSigns(log: Log<T>, pos: number): void {
    while (this.ends.length > 0 && (this.ends[0] as { end: number }).end <= pos) {
      const e = this.ends.shift() as { next: ClusterConfig };
      log.push({ kind: 'StopSign', stopSign: { nextConfig: e.next }, decided: true });
    }
  }

  /**
   * replayHistory delivers a restored HistoryLog from its start: the base snapshot (if any), then every
   * finished configuration after it. Returns the snapshot and the items, or undefined if a configuration
   * cannot be read back.
   */
  replayHistory(history: HistoryLog<ReplicatedEntry<T>>): { snapshot: HistorySnapshot | undefined; items: DecidedItem<T>[] } | undefined {
    const base = history.base;
    if (base) this.install(base);
    const items: DecidedItem<T>[] = [];
    for (const s of history.spans()) {
      if (s.start + s.length <= (base?.rawEnd ?? 0)) continue;
      const raw = history.read(s.start, s.start + s.length);
      if (!raw) return undefined;
      const log: Log<T> = raw.map((entry) => ({ kind: 'Decided', entry }));
      log.push({ kind: 'StopSign', stopSign: { nextConfig: s.config }, decided: true });
      for (const it of this.book.applyDecided(log)) items.push(it);
    }
    return { snapshot: base, items };
  }
}
