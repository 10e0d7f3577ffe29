import type { Database } from 'better-sqlite3';
import { StorageError } from '@omnipaxos/core';
import { ChecksumError, entryChecksum, metaChecksum } from './checksum.js';

/**
 * SCHEMA_VERSION is the layout this code writes; stored in `PRAGMA user_version`. Version 2 added a
 * checksum to every entry and state row; a version-1 database is upgraded in place when opened.
 */
export const SCHEMA_VERSION = 2;

/** APPLICATION_ID marks a SQLite file as an OmniPaxos storage ('OPXS'), in `PRAGMA application_id`. */
export const APPLICATION_ID = 0x4f505853;

/** StorageIdentity names the replica a database belongs to; a database never serves another one. */
export interface StorageIdentity {
  clusterId: string;
  pid: number;
}

const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value, crc INTEGER) WITHOUT ROWID;
CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL);
`;

/** MetaValue is what a `meta` row holds. */
export type MetaValue = string | number | Uint8Array;

function pragmaNumber(db: Database, name: string): number {
  const v: unknown = db.pragma(name, { simple: true });
  if (typeof v !== 'number') throw new StorageError(`PRAGMA ${name} returned ${String(v)}`);
  return v;
}

function tableNames(db: Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as unknown[];
  return rows.filter((r): r is string => typeof r === 'string');
}

/** isEmptyDatabase is true when `db` has no tables at all (a new or 0-byte file). */
export function isEmptyDatabase(db: Database): boolean {
  return tableNames(db).length === 0;
}

function isMetaValue(v: unknown): v is MetaValue {
  return typeof v === 'string' || typeof v === 'number' || v instanceof Uint8Array;
}

/** readMeta reads every `meta` row and checks its checksum; throws ChecksumError naming the row. */
export function readMeta(db: Database, path: string): Map<string, MetaValue> {
  const rows = db.prepare('SELECT key, value, crc FROM meta').raw().all() as [string, unknown, unknown][];
  const out = new Map<string, MetaValue>();
  for (const [key, value, crc] of rows) {
    if (!isMetaValue(value) || crc !== metaChecksum(key, value)) throw new ChecksumError(path, { key });
    out.set(key, value);
  }
  return out;
}

/** verifyEntries reads every entry and checks its checksum; throws ChecksumError naming the first bad index. */
export function verifyEntries(db: Database, path: string): void {
  const rows = db.prepare('SELECT idx, data, crc FROM entries ORDER BY idx').raw().iterate() as IterableIterator<[number, Uint8Array, unknown]>;
  for (const [idx, data, crc] of rows) {
    if (!(data instanceof Uint8Array) || crc !== entryChecksum(idx, data)) throw new ChecksumError(path, { index: idx });
  }
}

/**
 * migrateV1 adds the checksum columns to a version-1 database and fills them from the rows as they
 * are now (damage that happened before the upgrade cannot be detected; quick_check ran first).
 */
function migrateV1(db: Database): void {
  db.transaction(() => {
    db.exec('ALTER TABLE meta ADD COLUMN crc INTEGER; ALTER TABLE entries ADD COLUMN crc INTEGER;');
    const setMeta = db.prepare('UPDATE meta SET crc = ? WHERE key = ?');
    for (const [key, value] of db.prepare('SELECT key, value FROM meta').raw().all() as [string, unknown][]) {
      if (isMetaValue(value)) setMeta.run(metaChecksum(key, value), key);
    }
    const setEntry = db.prepare('UPDATE entries SET crc = ? WHERE idx = ?');
    const rows = db.prepare('SELECT idx, data FROM entries').raw().all() as [number, Uint8Array][];
    for (const [idx, data] of rows) setEntry.run(entryChecksum(idx, data), idx);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * initSchema checks that `db` is an OmniPaxos storage of `identity` at a version this code reads
 * (upgrading an older one), or creates the schema and identity (with a fresh `storageId`) when the
 * database is empty. Throws StorageError on any mismatch, so a wrong or damaged file is never
 * silently treated as a new replica. Returns the database's storage id.
 */
export function initSchema(db: Database, path: string, identity: StorageIdentity, verify: boolean, newStorageId: string): string {
  if (verify) {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StorageError(`${path}: database is corrupt (quick_check: ${String(check)})`);
  }
  const tables = tableNames(db);
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(DDL);
      const put = db.prepare('INSERT INTO meta (key, value, crc) VALUES (?, ?, ?)');
      const rows: [string, MetaValue][] = [['clusterId', identity.clusterId], ['pid', identity.pid], ['storageId', newStorageId]];
      for (const [k, v] of rows) put.run(k, v, metaChecksum(k, v));
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return newStorageId;
  }
  if (pragmaNumber(db, 'application_id') !== APPLICATION_ID || !tables.includes('meta') || !tables.includes('entries')) {
    throw new StorageError(`${path}: not an OmniPaxos storage database (tables: ${tables.join(', ')})`);
  }
  const version = pragmaNumber(db, 'user_version');
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      `${path}: schema version ${version} is newer than this @omnipaxos/storage-sqlite reads (${SCHEMA_VERSION}); upgrade the package`,
    );
  }
  if (version === 1) migrateV1(db);
  else if (version !== SCHEMA_VERSION) throw new StorageError(`${path}: unknown schema version ${version}`);
  const meta = readMeta(db, path);
  const clusterId = meta.get('clusterId');
  const pid = meta.get('pid');
  if (clusterId !== identity.clusterId || pid !== identity.pid) {
    throw new StorageError(
      `${path}: database belongs to cluster ${JSON.stringify(clusterId)} pid ${String(pid)}, ` +
        `not cluster ${JSON.stringify(identity.clusterId)} pid ${identity.pid}`,
    );
  }
  if (verify) verifyEntries(db, path);
  const storageId = meta.get('storageId');
  if (typeof storageId === 'string') return storageId;
  // A database from before storage ids: give it one now.
  db.prepare('INSERT INTO meta (key, value, crc) VALUES (?, ?, ?)').run('storageId', newStorageId, metaChecksum('storageId', newStorageId));
  return newStorageId;
}
