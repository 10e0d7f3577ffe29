import type { Database } from 'better-sqlite3';
import { StorageError } from '@omnipaxos/core';

/** SCHEMA_VERSION is the layout this code writes; stored in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

/** APPLICATION_ID marks a SQLite file as an OmniPaxos storage ('OPXS'), in `PRAGMA application_id`. */
export const APPLICATION_ID = 0x4f505853;

/** StorageIdentity names the replica a database belongs to; a database never serves another one. */
export interface StorageIdentity {
  clusterId: string;
  pid: number;
}

const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
`;

function pragmaNumber(db: Database, name: string): number {
  const v: unknown = db.pragma(name, { simple: true });
  if (typeof v !== 'number') throw new StorageError(`PRAGMA ${name} returned ${String(v)}`);
  return v;
}

function tableNames(db: Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as unknown[];
  return rows.filter((r): r is string => typeof r === 'string');
}

/**
 * initSchema checks that `db` is an OmniPaxos storage of `identity` at a version this code reads, or
 * creates the schema and identity when the database is empty. Throws StorageError on any mismatch,
 * so a wrong or damaged file is never silently treated as a new replica.
 */
export function initSchema(db: Database, path: string, identity: StorageIdentity, verify: boolean): void {
  if (verify) {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StorageError(`${path}: database is corrupt (quick_check: ${String(check)})`);
  }
  const tables = tableNames(db);
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(DDL);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('clusterId', identity.clusterId);
      put.run('pid', identity.pid);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return;
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
  if (version !== SCHEMA_VERSION) throw new StorageError(`${path}: unknown schema version ${version}`);
  const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const clusterId: unknown = get.get('clusterId');
  const pid: unknown = get.get('pid');
  if (clusterId !== identity.clusterId || pid !== identity.pid) {
    throw new StorageError(
      `${path}: database belongs to cluster ${JSON.stringify(clusterId)} pid ${String(pid)}, ` +
        `not cluster ${JSON.stringify(identity.clusterId)} pid ${identity.pid}`,
    );
  }
}
