import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { StorageError } from '@omnipaxos/core';
import { type IdentityRecord, identityFilePath, readIdentityFile, writeIdentityFile } from './identity-file.js';
import { type StorageIdentity, initSchema, isEmptyDatabase } from './schema.js';
import { checkWal } from './wal-check.js';

/** OpenDatabaseOptions are the parts of SqliteStorageOptions that decide how a database file is opened. */
export interface OpenDatabaseOptions extends StorageIdentity {
  path: string;
  synchronous: 'full' | 'normal' | 'off';
  background: boolean;
  verify: boolean;
  forceNewIdentity: boolean;
  maxSizeBytes: number | undefined;
}

/** OpenedDatabase is an open, checked database with its storage id and the resolved path of its log. */
export interface OpenedDatabase {
  db: Database;
  storageId: string;
  walPath: string;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hasBytes(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

/** moveAside renames the database and its log files to `<name>.damaged-<time>` (kept, never deleted). */
function moveAside(path: string): void {
  const suffix = `.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) renameSync(f, `${f}${suffix}`);
}

function amnesia(path: string, record: IdentityRecord, what: string): StorageError {
  return new StorageError(
    `${path}: ${what}, but replica ${record.pid} of cluster ${JSON.stringify(record.clusterId)} was initialised here` +
      `${record.createdAt ? ` on ${record.createdAt}` : ''} (${identityFilePath(path)}). Starting blank would forget what this ` +
      'replica promised and accepted (silent amnesia) and can lose acknowledged writes. Restore the database, or start ' +
      'this replica as a new member added by reconfiguration, or force a new identity if you know it is safe (docs/storage.md)',
  );
}

function openOnce(o: OpenDatabaseOptions, record: IdentityRecord | undefined): OpenedDatabase {
  if (record !== undefined && !hasBytes(o.path)) throw amnesia(o.path, record, existsSync(o.path) ? 'the database file is empty (0 bytes)' : 'the database file is missing');
  checkWal(o.path);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(o.path);
    db.pragma('journal_mode = WAL');
    // NORMAL syncs the log before and the database after each checkpoint; we sync each commit.
    db.pragma(`synchronous = ${o.background ? 'NORMAL' : o.synchronous.toUpperCase()}`);
    if (o.maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(o.maxSizeBytes / pageSize))}`);
    }
    if (record !== undefined && isEmptyDatabase(db)) throw amnesia(o.path, record, 'the database holds no tables (never initialised or wiped)');
    const fresh = randomUUID();
    const storageId = initSchema(db, o.path, o, o.verify, fresh);
    if (record !== undefined && record.storageId !== storageId) {
      throw new StorageError(
        `${o.path}: this is not the database replica ${record.pid} initialised here (its storage id is ${storageId}, ` +
          `${identityFilePath(o.path)} says ${record.storageId}): a copy from elsewhere or an older backup would roll this replica back`,
      );
    }
    if (storageId === fresh) db.pragma('wal_checkpoint(TRUNCATE)'); // the new database is durable before its identity file
    // The log sits next to the file SQLite really opened (a symlink or a relative path resolved).
    const file = (db.pragma('database_list') as { name: string; file: string }[]).find((d) => d.name === 'main')?.file;
    return { db, storageId, walPath: `${file || o.path}-wal` };
  } catch (err) {
    db?.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError(`${o.path}: cannot open storage (corrupt or not a database?): ${describe(err)}`, { cause: err });
  }
}

/**
 * openDatabase opens one replica's database, refusing silent amnesia: when the identity file says a
 * database was initialised at `path`, a missing, empty, unreadable or different database is a
 * StorageError, unless `forceNewIdentity` (then damaged files are moved aside, never deleted, and a
 * new database with a new storage id is created). The identity file is written once the database is.
 */
export function openDatabase(o: OpenDatabaseOptions): OpenedDatabase {
  const record = readIdentityFile(o.path);
  let opened: OpenedDatabase;
  try {
    opened = openOnce(o, record);
  } catch (err) {
    if (!o.forceNewIdentity || record === undefined) throw err;
    moveAside(o.path);
    opened = openOnce(o, undefined);
  }
  if (record === undefined || record.storageId !== opened.storageId) {
    try {
      writeIdentityFile(o.path, { clusterId: o.clusterId, pid: o.pid, storageId: opened.storageId, createdAt: new Date().toISOString() });
    } catch (err) {
      opened.db.close();
      throw new StorageError(`${identityFilePath(o.path)}: cannot write the identity file: ${describe(err)}`, { cause: err });
    }
  }
  return opened;
}
