import type { StorageError } from '@omnipaxos/core';
import type { Codec } from './codec.js';
import type { StorageIdentity } from './schema.js';

/** SqliteStorageOptions say where the database is, whose it is, and how values are encoded. */
export interface SqliteStorageOptions<T, S> extends StorageIdentity {
  /** Path of the database file (created if missing). */
  path: string;
  /** Codec for log entries; default msgpackr. */
  codec?: Codec<T>;
  /** Codec for snapshots; default msgpackr. */
  snapshotCodec?: Codec<S>;
  /** SQLite `synchronous` at commit: 'full' (default) fsyncs on every flush; 'off' is for tests only. */
  synchronous?: 'full' | 'normal' | 'off';
  /**
   * With `synchronous: 'full'` (default true): `flush()` commits without syncing inside SQLite and then
   * fdatasyncs the write-ahead log on libuv's thread pool, resolving once it is durable. Same
   * durability as syncing in the commit (SQLite runs with `synchronous=NORMAL`, which still syncs
   * around every checkpoint), but the event loop keeps running during the fsync. `flushSync()` syncs
   * before it returns either way.
   */
  backgroundSync?: boolean;
  /**
   * On open (default true): run `PRAGMA quick_check` and verify the checksum of every stored entry,
   * so a damaged file is refused at start (naming the file and the entry). Reads always verify.
   */
  verify?: boolean;
  /**
   * Start from a new, empty database even though the identity file says one was initialised at `path`
   * and it is now missing, empty, unreadable or another one (damaged files are moved aside to
   * `<name>.damaged-<time>`). Only for a replica that will be rebuilt safely: see docs/storage.md.
   */
  forceNewIdentity?: boolean;
  /**
   * Called once when the storage fails for good (a disk error such as ENOSPC or EIO, a failed sync, a
   * checksum mismatch): from then on every call throws that StorageError. The owner should stop the
   * replica and report it.
   */
  onFailure?: (error: StorageError) => void;
  /** Cap on the database size (SQLite `max_page_count`): a write beyond it fails as a full disk would. */
  maxSizeBytes?: number;
  /** Most entries kept in memory for fast reads of the log's end (default 1024). */
  tailEntries?: number;
  /** Most encoded bytes of entries kept in memory for fast reads of the log's end (default 8 MiB). */
  tailBytes?: number;
}
