import { type ClusterConfig, MemoryStorage } from '@omnipaxos/core';
import { type EntryReader, type HistoryLog, storageReader } from './history-log.js';
import type { HistoryStore, PersistedHistory } from './history-store.js';
import type { ReplicaStorage, ReplicatedEntry } from '../replica/replicated-entry.js';

/** PersistenceInput is the part of the supervisor input that says where configurations and the history record live. */
export interface PersistenceInput<T> {
  configurationId?: number;
  storage: ReplicaStorage<T>;
  storageFor?: (configurationId: number) => ReplicaStorage<T>;
  historyStore?: HistoryStore;
}

/** KeptEntries is where a finished configuration's entries are read from, and how to drop them once compacted. */
export interface KeptEntries<T> {
  read: EntryReader<ReplicatedEntry<T>>;
  drop: () => void;
}

/** trimmer drops a finished configuration's `length` entries from its storage (after a snapshot covers them). */
export function trimmer<T>(storage: ReplicaStorage<T>, length: number): () => void {
  return () => storage.writeAtomically([{ op: 'Trim', idx: length }, { op: 'SetCompactedIdx', idx: length }]);
}

/**
 * HistoryPersistence makes a server's history survive a whole-process restart: a finished
 * configuration's entries stay in (or, when pulled, are written to) that configuration's Storage
 * (`storageFor(configurationId)`; `storage` for the first configuration id), and a small
 * PersistedHistory record (finished configurations, current configuration, base snapshot) goes to
 * the HistoryStore after those storages were flushed. Saves are chained, so they land in order.
 * Without a `historyStore` it only hands out storages (the history stays in memory).
 */
export class HistoryPersistence<T> {
  private chain: Promise<void> = Promise.resolve();
  private readonly dirty = new Set<ReplicaStorage<T>>();
  /** lastError is the last flush or save failure (the record then lags behind; see docs/reconfiguration.md). */
  lastError: unknown;

  constructor(private readonly input: PersistenceInput<T>) {}

  /** enabled is true when a HistoryStore was given. */
  get enabled(): boolean {
    return this.input.historyStore !== undefined;
  }

  /** storageOf returns configuration `configurationId`'s storage (a new MemoryStorage without `storageFor`). */
  storageOf(configurationId: number): ReplicaStorage<T> {
    if (configurationId === (this.input.configurationId ?? 1)) return this.input.storage;
    return this.input.storageFor?.(configurationId) ?? new MemoryStorage<ReplicatedEntry<T>>();
  }

  /** load returns the saved record, if any. */
  load(): PersistedHistory | undefined {
    return this.input.historyStore?.load();
  }

  /**
   * keepPulled writes a pulled configuration's decided entries [from, length) into its storage (`from`
   * is the decided prefix a server that missed the stop sign already had in `current`), so they
   * survive a restart. Returns undefined when persistence is off or nothing is to be written.
   */
  keepPulled(
    configurationId: number,
    length: number,
    read: EntryReader<ReplicatedEntry<T>> | undefined,
    from: number | undefined,
    current: ReplicaStorage<T>,
  ): KeptEntries<T> | undefined {
    if (!this.enabled || !read) return undefined;
    const storage = from !== undefined ? current : this.storageOf(configurationId);
    const entries = read(from ?? 0, length);
    if (!entries) return undefined;
    storage.writeAtomically([
      { op: 'AppendOnPrefix', fromIdx: from ?? 0, entries },
      { op: 'SetDecidedIdx', idx: length },
    ]);
    this.dirty.add(storage);
    return { read: storageReader(storage), drop: trimmer(storage, length) };
  }

  /**
   * mustFlush makes the next `save` flush `storage` first: the record is about to point at it (a
   * configuration that just finished, whose last writes — the decided stop sign — may not be durable
   * yet, since decided entries are reported before the flush).
   */
  mustFlush(storage: ReplicaStorage<T>): void {
    this.dirty.add(storage);
  }

  /**
   * save records `history` and `current` durably: it flushes the storages written since the last save,
   * then saves the record, then runs `after` (e.g. trimming storages a new snapshot covers). Without a
   * HistoryStore, `after` runs at once.
   */
  save(history: HistoryLog<ReplicatedEntry<T>>, current: ClusterConfig, after: (() => void)[] = []): void {
    const store = this.input.historyStore;
    if (!store) {
      for (const f of after) f();
      return;
    }
    const base = history.base;
    const record: PersistedHistory = { finished: history.summaries(), current: { ...current, nodes: [...current.nodes] } };
    if (base) record.snapshot = base;
    const flushes = [...this.dirty].map((s) => s.flush?.());
    this.dirty.clear();
    this.chain = this.chain
      .then(() => Promise.all(flushes))
      .then(() => store.save(record))
      .then(() => {
        for (const f of after) f();
      })
      .catch((err: unknown) => {
        this.lastError = err;
      });
  }

  /** settled resolves once every save issued so far has finished (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }
}
