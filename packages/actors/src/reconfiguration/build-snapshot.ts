import type { LogEntry, SnapshotLogic } from '@omnipaxos/core';
import type { HistoryLog } from './history-log.js';
import type { HistorySnapshot } from './history-snapshot.js';
import type { ReplicatedEntry } from '../replica/replicated-entry.js';
import { RequestBook } from '../replica/request-book.js';

/**
 * buildHistorySnapshot snapshots `history` through configuration `upTo` (every finished configuration
 * if undefined) on top of its current base snapshot: each configuration's raw entries are replayed
 * through a fresh duplicate filter (reset at every stop sign, exactly as when they were decided), so
 * the delivered entries and `appEnd` are the ones every replica saw. Returns undefined when there is
 * nothing new to compact or part of the range can no longer be read.
 */
export function buildHistorySnapshot<T>(
  history: HistoryLog<ReplicatedEntry<T>>,
  logic: SnapshotLogic<T, unknown>,
  upTo: number | undefined,
  dedupWindow: number,
): HistorySnapshot | undefined {
  const base = history.base;
  const configs = history.spans().filter((s) => s.start >= (base?.rawEnd ?? 0) && (upTo === undefined || s.config.configurationId <= upTo));
  const last = configs[configs.length - 1];
  if (!last) return undefined;
  const book = new RequestBook<T>(0, 0, dedupWindow);
  const items: T[] = [];
  for (const s of configs) {
    const raw = history.read(s.start, s.start + s.length);
    if (!raw) return undefined;
    const log: LogEntry<ReplicatedEntry<T>, never>[] = raw.map((entry) => ({ kind: 'Decided', entry }));
    log.push({ kind: 'StopSign', stopSign: { nextConfig: s.config }, decided: true });
    for (const d of book.applyDecided(log)) items.push(d.entry);
  }
  const delta = logic.create(items);
  return {
    configurationId: last.config.configurationId,
    rawEnd: last.start + last.length,
    appEnd: (base?.appEnd ?? 0) + items.length,
    data: base ? logic.merge(base.data, delta) : delta,
  };
}
