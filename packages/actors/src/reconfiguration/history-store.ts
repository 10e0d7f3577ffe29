import type { ClusterConfig } from '@omnipaxos/core';
import type { HistorySnapshot } from './history-snapshot.js';
import type { ConfigSummary } from './migration-messages.js';

/**
 * PersistedHistory is the small record a server keeps about the reconfigurations it went through:
 * the finished configurations (their lengths; their entries live in each configuration's Storage,
 * from `storageFor(configurationId)`), the configuration it runs now (or hands over to, if it is not
 * a member), and the snapshot of the compacted history prefix, if any. Plain data.
 */
export interface PersistedHistory {
  finished: ConfigSummary[];
  current: ClusterConfig;
  snapshot?: HistorySnapshot;
}

/**
 * HistoryStore keeps one server's PersistedHistory durably. `save` replaces the record; when it
 * returns a promise, the record is durable once it resolves. The supervisor saves only after the
 * storages the record points to were flushed, and saves are issued in order.
 */
export interface HistoryStore {
  load(): PersistedHistory | undefined;
  save(record: PersistedHistory): void | Promise<void>;
}

/** MemoryHistoryStore is a HistoryStore in memory (tests; survives a new supervisor in the same process). */
export class MemoryHistoryStore implements HistoryStore {
  private record: PersistedHistory | undefined;
  /** saves counts the records written (for tests). */
  saves = 0;

  load(): PersistedHistory | undefined {
    return this.record === undefined ? undefined : structuredClone(this.record);
  }

  save(record: PersistedHistory): void {
    this.record = structuredClone(record);
    this.saves += 1;
  }
}
