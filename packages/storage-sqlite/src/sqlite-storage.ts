import type { Database, Statement } from 'better-sqlite3';
import { type Ballot, type StopSign, type Storage, StorageError, type StorageOp, copyBallot } from '@omnipaxos/core';
import { Packr } from 'msgpackr';
import { ChecksumError, entryChecksum, metaChecksum } from './checksum.js';
import { type Codec, msgpackCodec } from './codec.js';
import { EntryTail, TAIL_BYTES, TAIL_ENTRIES } from './entry-tail.js';
import { openDatabase } from './open-database.js';
import { type MetaKey, type PersistedState, loadState } from './persisted-state.js';
import type { StorageIdentity } from './schema.js';
import type { SqliteStorageOptions } from './storage-options.js';
import { WalFile } from './wal-file.js';

export type { SqliteStorageOptions } from './storage-options.js';

type StatementName =
  | 'begin' | 'commit' | 'savepoint' | 'release' | 'rollbackTo' | 'insert'
  | 'deleteFrom' | 'deleteBefore' | 'range' | 'putMeta' | 'deleteMeta';

const stopSignPackr = new Packr({ useRecords: false, moreTypes: true });


function checkIndex(name: string, idx: number): void {
  if (!Number.isSafeInteger(idx) || idx < 0) {
    throw new StorageError(`${name}: index must be a non-negative integer, got ${String(idx)}`);
  }
}

function toBlob(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** isDiskError is true for SQLite errors that mean the disk failed rather than the request was bad. */
function isDiskError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|CORRUPT|NOTADB|CANTOPEN|READONLY)/.test(code);
}

/**
 * SqliteStorage is a durable Storage on SQLite (better-sqlite3, WAL). Writes go into one open
 * transaction; `flush()` commits it with a durable sync, so one fsync covers a whole batch. Reads see
 * the writes not yet flushed. A crash loses exactly the writes since the last completed `flush()`.
 * Every `writeAtomically` (and every single write) runs in a savepoint: all of it applies or none.
 */
export class SqliteStorage<T, S = never> implements Storage<T, S> {
  /** open opens (or creates) the database of one replica; see openSqliteStorage. */
  static open<T, S = never>(options: SqliteStorageOptions<T, S>): SqliteStorage<T, S> {
    return new SqliteStorage<T, S>(options);
  }

  /** path is the database file. */
  readonly path: string;
  /** identity is the cluster and pid this database belongs to. */
  readonly identity: StorageIdentity;
  /** storageId names this database (a random id made when it was created), as its identity file records. */
  readonly storageId: string;
  private readonly onFailure: ((error: StorageError) => void) | undefined;
  private readonly db: Database;
  private readonly codec: Codec<T>;
  private readonly snapshotCodec: Codec<S>;
  private readonly stmt: Record<StatementName, Statement>;
  private state: PersistedState;
  private failure: StorageError | undefined;
  private closed = false;
  /** The latest entries written, for reads that skip SQLite (see EntryTail). */
  private readonly tail: EntryTail<T>;
  /** The write-ahead log this storage fdatasyncs itself (backgroundSync), opened at the first flush. */
  private readonly wal: WalFile | undefined;
  /** The latest background log sync, until it completes: a flush with nothing to commit waits for it. */
  private syncing: Promise<void> | undefined;

  private constructor(options: SqliteStorageOptions<T, S>) {
    this.path = options.path;
    this.identity = { clusterId: options.clusterId, pid: options.pid };
    this.codec = options.codec ?? msgpackCodec<T>();
    this.snapshotCodec = options.snapshotCodec ?? msgpackCodec<S>();
    const synchronous = options.synchronous ?? 'full';
    const background = synchronous === 'full' && (options.backgroundSync ?? true);
    this.onFailure = options.onFailure;
    const opened = openDatabase({
      path: options.path,
      clusterId: options.clusterId,
      pid: options.pid,
      synchronous,
      background,
      verify: options.verify ?? true,
      forceNewIdentity: options.forceNewIdentity ?? false,
      maxSizeBytes: options.maxSizeBytes,
    });
    const db = opened.db;
    this.storageId = opened.storageId;
    this.wal = background ? new WalFile(opened.walPath) : undefined;
    try {
      this.state = loadState(db, options.path);
      this.stmt = {
        begin: db.prepare('BEGIN IMMEDIATE'),
        commit: db.prepare('COMMIT'),
        savepoint: db.prepare('SAVEPOINT w'),
        release: db.prepare('RELEASE w'),
        rollbackTo: db.prepare('ROLLBACK TO w'),
        insert: db.prepare('INSERT INTO entries (idx, data, crc) VALUES (?, ?, ?)'),
        deleteFrom: db.prepare('DELETE FROM entries WHERE idx >= ?'),
        deleteBefore: db.prepare('DELETE FROM entries WHERE idx < ?'),
        range: db.prepare('SELECT idx, data, crc FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx').raw(),
        putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value, crc) VALUES (?, ?, ?)'),
        deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
      };
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(`${options.path}: cannot open storage (corrupt or not a database?): ${describe(err)}`, {
        cause: err,
      });
    }
    this.db = db;
    this.tail = new EntryTail<T>(this.state.logEnd, options.tailEntries ?? TAIL_ENTRIES, options.tailBytes ?? TAIL_BYTES);
  }

  writeAtomically(ops: StorageOp<T, S>[]): void {
    for (const op of ops) {
      if (op.op === 'AppendOnPrefix') checkIndex('appendOnPrefix', op.fromIdx);
      else if (op.op === 'Trim' || op.op === 'SetCompactedIdx' || op.op === 'SetDecidedIdx') checkIndex(op.op, op.idx);
    }
    this.mutate('writeAtomically', () => {
      for (const op of ops) this.apply(op);
    });
  }

  appendEntry(entry: T): void {
    this.mutate('appendEntry', () => this.apply({ op: 'AppendEntry', entry }), true);
  }

  appendEntries(entries: T[]): void {
    this.mutate('appendEntries', () => this.apply({ op: 'AppendEntries', entries }), entries.length <= 1);
  }

  appendOnPrefix(fromIdx: number, entries: T[]): void {
    checkIndex('appendOnPrefix', fromIdx);
    this.mutate('appendOnPrefix', () => this.apply({ op: 'AppendOnPrefix', fromIdx, entries }));
  }

  setPromise(ballot: Ballot): void {
    this.mutate('setPromise', () => this.apply({ op: 'SetPromise', ballot }), true);
  }

  getPromise(): Ballot | undefined {
    this.checkUsable();
    return this.state.promise && copyBallot(this.state.promise);
  }

  setDecidedIdx(idx: number): void {
    checkIndex('setDecidedIdx', idx);
    this.mutate('setDecidedIdx', () => this.apply({ op: 'SetDecidedIdx', idx }), true);
  }

  getDecidedIdx(): number {
    this.checkUsable();
    return this.state.decidedIdx;
  }

  setAcceptedRound(ballot: Ballot): void {
    this.mutate('setAcceptedRound', () => this.apply({ op: 'SetAcceptedRound', ballot }), true);
  }

  getAcceptedRound(): Ballot | undefined {
    this.checkUsable();
    return this.state.acceptedRound && copyBallot(this.state.acceptedRound);
  }

  getEntries(from: number, to: number): T[] {
    this.checkUsable();
    const start = Math.max(from, this.state.trimmedIdx);
    const end = Math.min(to, this.state.logEnd);
    if (!(start < end)) return [];
    const recent = this.tail.read(start, end);
    if (recent !== undefined) return recent;
    const rows = this.read('getEntries', () => this.stmt.range.all(start, end) as [number, Uint8Array, unknown][]);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as [number, Uint8Array, unknown];
      // Damaged bytes are never served: the storage fails for good, naming the file and the index.
      if (row[2] !== entryChecksum(row[0], row[1])) throw this.failWith(new ChecksumError(this.path, { index: row[0] }));
    }
    return this.read('getEntries', () => {
      const out = new Array<T>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = this.codec.decode((rows[i] as [number, Uint8Array, unknown])[1]);
      return out;
    });
  }

  getLogLen(): number {
    this.checkUsable();
    return this.state.logEnd - this.state.trimmedIdx;
  }

  getSuffix(from: number): T[] {
    return this.getEntries(from, this.state.logEnd);
  }

  setStopsign(stopSign: StopSign | undefined): void {
    this.mutate('setStopsign', () => this.apply({ op: 'SetStopsign', stopSign }), true);
  }

  getStopsign(): StopSign | undefined {
    this.checkUsable();
    const b = this.state.stopSign;
    return b && this.read('getStopsign', () => stopSignPackr.unpack(b) as StopSign);
  }

  trim(idx: number): void {
    checkIndex('trim', idx);
    this.mutate('trim', () => this.apply({ op: 'Trim', idx }));
  }

  setCompactedIdx(idx: number): void {
    checkIndex('setCompactedIdx', idx);
    this.mutate('setCompactedIdx', () => this.apply({ op: 'SetCompactedIdx', idx }), true);
  }

  getCompactedIdx(): number {
    this.checkUsable();
    return this.state.compactedIdx;
  }

  setSnapshot(snapshot: S | undefined): void {
    this.mutate('setSnapshot', () => this.apply({ op: 'SetSnapshot', snapshot }), true);
  }

  getSnapshot(): S | undefined {
    this.checkUsable();
    const b = this.state.snapshot;
    return b && this.read('getSnapshot', () => this.snapshotCodec.decode(b));
  }

  /** flush commits every write so far with a durable sync (one fsync for the whole batch). */
  flush(): Promise<void> {
    try {
      // Nothing new to commit: the writes so far are durable once the sync in flight (if any) is.
      if (!this.commit()) return this.syncing ?? Promise.resolve();
      const wal = this.wal;
      if (wal === undefined) return Promise.resolve();
      let synced: Promise<void>;
      try {
        synced = wal.sync();
      } catch (err) {
        synced = Promise.reject(err);
      }
      const done: Promise<void> = synced.then(
        () => {
          if (this.syncing === done) this.syncing = undefined;
          // An earlier sync failed: SQLite would drop everything from there on at restart.
          if (this.failure) throw this.failure;
        },
        (err: unknown) => {
          if (this.syncing === done) this.syncing = undefined;
          throw this.fail(`flush failed: the write-ahead log could not be synced, writes may not be durable: ${describe(err)}`, err);
        },
      );
      this.syncing = done;
      return done;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** flushSync is `flush()` for synchronous drivers: it returns once the writes are durable. */
  flushSync(): void {
    // Also sync when nothing is new to commit but a background sync has not completed yet.
    if (!this.commit() && this.syncing === undefined) return;
    try {
      this.wal?.syncNow();
    } catch (err) {
      throw this.fail(`flush failed: the write-ahead log could not be synced, writes may not be durable: ${describe(err)}`, err);
    }
  }

  /** commit commits the open transaction (durably unless backgroundSync); false when there was none. */
  private commit(): boolean {
    this.checkUsable();
    if (!this.db.inTransaction) return false;
    try {
      this.stmt.commit.run();
    } catch (err) {
      throw this.fail(`flush failed; writes since the last flush are not durable: ${describe(err)}`, err);
    }
    return true;
  }

  /** hasUnflushedWrites is true when writes wait for the next flush, or for the log sync in flight. */
  hasUnflushedWrites(): boolean {
    return !this.closed && (this.db.inTransaction || this.syncing !== undefined);
  }

  /** close flushes pending writes and closes the database; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.failure) this.flushSync();
    } finally {
      this.closed = true;
      this.wal?.close();
      this.db.close();
    }
  }

  /**
   * discard closes the database and drops the writes not yet committed, as a crash would (for tests).
   * A flush still waiting for its background sync rejects; what it committed stays in the file (SQLite
   * checkpoints on close), where a power loss could have taken it.
   */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    this.wal?.close(true);
    this.db.close();
  }

  private checkUsable(): void {
    if (this.closed) throw new StorageError(`${this.path}: storage is closed`);
    if (this.failure) throw this.failure;
  }

  /** getFailure returns the error that failed this storage for good, if any (every call then throws it). */
  getFailure(): StorageError | undefined {
    return this.failure;
  }

  private fail(message: string, cause: unknown): StorageError {
    return this.failWith(new StorageError(`${this.path}: ${message}; reopen the storage`, { cause }));
  }

  private failWith(error: StorageError): StorageError {
    if (this.failure) return this.failure;
    this.failure = error;
    try {
      this.onFailure?.(error);
    } catch {
      // the owner's callback must not change what the caller sees
    }
    return error;
  }

  private read<R>(what: string, fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      throw new StorageError(`${this.path}: ${what} failed: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * mutate runs `fn` in the open transaction; on failure state and rows roll back. A `single`-statement
   * write needs no savepoint: SQLite undoes a failed statement by itself.
   */
  private mutate(what: string, fn: () => void, single = false): void {
    this.checkUsable();
    const saved = { ...this.state };
    const hadTx = this.db.inTransaction;
    try {
      if (!hadTx) this.stmt.begin.run();
      if (!single) this.stmt.savepoint.run();
    } catch (err) {
      throw new StorageError(`${this.path}: ${what}: cannot start a write: ${describe(err)}`, { cause: err });
    }
    try {
      fn();
      if (!single) this.stmt.release.run();
    } catch (err) {
      this.state = saved;
      this.tail.reset(saved.logEnd);
      try {
        if (this.db.inTransaction && !single) {
          this.stmt.rollbackTo.run();
          this.stmt.release.run();
        } else if (!this.db.inTransaction && hadTx) {
          throw new Error('SQLite rolled back the open transaction');
        }
      } catch (rollbackErr) {
        throw this.fail(`${what} failed (${describe(err)}) and unflushed writes were lost: ${describe(rollbackErr)}`, err);
      }
      // The disk refused the write (full, I/O error, read-only, damaged): no later write can be trusted.
      if (isDiskError(err)) throw this.fail(`${what} failed: the disk refused the write: ${describe(err)}`, err);
      if (err instanceof StorageError) throw err;
      throw new StorageError(`${this.path}: ${what} failed: ${describe(err)}`, { cause: err });
    }
  }

  private putMeta(key: MetaKey, value: string | number | Buffer | undefined): void {
    if (value === undefined) this.stmt.deleteMeta.run(key);
    else this.stmt.putMeta.run(key, value, metaChecksum(key, value));
  }

  private insertEntries(entries: T[]): void {
    const insert = this.stmt.insert;
    let idx = this.state.logEnd;
    const sizes = new Array<number>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const blob = toBlob(this.codec.encode(entries[i] as T));
      sizes[i] = blob.byteLength;
      insert.run(idx, blob, entryChecksum(idx, blob));
      idx++;
    }
    this.state.logEnd = idx;
    this.tail.append(entries, sizes);
  }

  /** apply performs one op inside the current savepoint, keeping `state` equal to the rows. */
  private apply(op: StorageOp<T, S>): void {
    const st = this.state;
    switch (op.op) {
      case 'AppendEntry':
        return this.insertEntries([op.entry]);
      case 'AppendEntries':
        return this.insertEntries(op.entries);
      case 'AppendOnPrefix': {
        const cut = Math.max(op.fromIdx, st.trimmedIdx);
        if (cut < st.logEnd) {
          this.stmt.deleteFrom.run(cut);
          st.logEnd = cut;
          this.tail.cut(st.logEnd, st.trimmedIdx);
        }
        return this.insertEntries(op.entries);
      }
      case 'SetPromise':
        st.promise = copyBallot(op.ballot);
        return this.putMeta('promise', JSON.stringify(st.promise));
      case 'SetAcceptedRound':
        st.acceptedRound = copyBallot(op.ballot);
        return this.putMeta('acceptedRound', JSON.stringify(st.acceptedRound));
      case 'SetDecidedIdx':
        st.decidedIdx = op.idx;
        return this.putMeta('decidedIdx', op.idx);
      case 'SetCompactedIdx':
        st.compactedIdx = op.idx;
        return this.putMeta('compactedIdx', op.idx);
      case 'Trim':
        if (op.idx <= st.trimmedIdx) return;
        this.stmt.deleteBefore.run(op.idx);
        st.trimmedIdx = op.idx;
        st.logEnd = Math.max(st.logEnd, op.idx);
        this.tail.cut(st.logEnd, st.trimmedIdx);
        return this.putMeta('trimmedIdx', op.idx);
      case 'SetStopsign':
        st.stopSign = op.stopSign === undefined ? undefined : stopSignPackr.pack(op.stopSign);
        return this.putMeta('stopSign', st.stopSign && toBlob(st.stopSign));
      case 'SetSnapshot':
        st.snapshot = op.snapshot === undefined ? undefined : this.snapshotCodec.encode(op.snapshot);
        return this.putMeta('snapshot', st.snapshot && toBlob(st.snapshot));
    }
  }
}

/** openSqliteStorage opens (or creates) one replica's database; throws StorageError on a bad file. */
export function openSqliteStorage<T, S = never>(options: SqliteStorageOptions<T, S>): SqliteStorage<T, S> {
  return SqliteStorage.open<T, S>(options);
}
