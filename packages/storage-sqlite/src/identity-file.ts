import { readFileSync } from 'node:fs';
import { StorageError } from '@omnipaxos/core';
import { writeJsonDurably } from './durable-file.js';
import type { StorageIdentity } from './schema.js';

/**
 * IdentityRecord is what the identity file beside a database says: whose database was initialised at
 * that path, and which one (`storageId`, also stored inside the database). Its existence means "this
 * replica has a past": a missing, empty or unreadable database there is amnesia, not a new replica.
 */
export interface IdentityRecord extends StorageIdentity {
  storageId: string;
  /** When the database was first initialised (ISO 8601), for the operator. */
  createdAt: string;
}

/** identityFilePath is the identity file of the database at `dbPath`: `<dbPath>.identity`. */
export function identityFilePath(dbPath: string): string {
  return `${dbPath}.identity`;
}

/** readIdentityFile returns the identity file's record, undefined when there is none; StorageError when unreadable. */
export function readIdentityFile(dbPath: string): IdentityRecord | undefined {
  const file = identityFilePath(dbPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`${file}: cannot read the identity file: ${(err as Error).message}`, { cause: err });
  }
  let r: Partial<IdentityRecord> | undefined;
  try {
    r = JSON.parse(text) as Partial<IdentityRecord>;
  } catch {
    r = undefined;
  }
  if (!r || typeof r.clusterId !== 'string' || typeof r.pid !== 'number' || typeof r.storageId !== 'string') {
    throw new StorageError(`${file}: the identity file is damaged; it says this path held a replica's database before`);
  }
  return { clusterId: r.clusterId, pid: r.pid, storageId: r.storageId, createdAt: typeof r.createdAt === 'string' ? r.createdAt : '' };
}

/** writeIdentityFile writes the record durably (temp file, fsync, rename, fsync of the folder). */
export function writeIdentityFile(dbPath: string, record: IdentityRecord): void {
  writeJsonDurably(identityFilePath(dbPath), record);
}
