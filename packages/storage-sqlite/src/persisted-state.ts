import type { Database } from 'better-sqlite3';
import { type Ballot, StorageError } from '@omnipaxos/core';
import { readMeta } from './schema.js';

/**
 * PersistedState is SqliteStorage's in-memory copy of the small state rows and the log bounds.
 * The log holds exactly the absolute indices [trimmedIdx, logEnd). Stop sign and snapshot are kept
 * encoded, so a reader always gets a fresh copy.
 */
export interface PersistedState {
  promise: Ballot | undefined;
  acceptedRound: Ballot | undefined;
  decidedIdx: number;
  compactedIdx: number;
  trimmedIdx: number;
  logEnd: number;
  stopSign: Uint8Array | undefined;
  snapshot: Uint8Array | undefined;
}

/** MetaKey names the rows of the `meta` table that hold replica state. */
export type MetaKey = 'promise' | 'acceptedRound' | 'decidedIdx' | 'compactedIdx' | 'trimmedIdx' | 'stopSign' | 'snapshot';

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseBallot(path: string, key: string, v: unknown): Ballot | undefined {
  if (v === undefined || v === null) return undefined;
  let b: unknown;
  try {
    b = typeof v === 'string' ? JSON.parse(v) : undefined;
  } catch {
    b = undefined;
  }
  const o = b as Record<string, unknown> | undefined;
  if (!o || typeof o !== 'object' || !['configId', 'n', 'priority', 'pid'].every((k) => typeof o[k] === 'number')) {
    throw new StorageError(`${path}: corrupt ${key} row: ${String(v)}`);
  }
  return { configId: o.configId as number, n: o.n as number, priority: o.priority as number, pid: o.pid as number };
}

function parseIndex(path: string, key: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (!isIndex(v)) throw new StorageError(`${path}: corrupt ${key} row: ${String(v)}`);
  return v;
}

function parseBlob(path: string, key: string, v: unknown): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof Uint8Array)) throw new StorageError(`${path}: corrupt ${key} row (not a blob)`);
  return v;
}

/**
 * loadState reads the replica state (checking every state row's checksum) and checks that the log is
 * one gap-free run of indices.
 */
export function loadState(db: Database, path: string): PersistedState {
  const meta: Map<string, unknown> = readMeta(db, path);
  const trimmedIdx = parseIndex(path, 'trimmedIdx', meta.get('trimmedIdx'));
  const bounds = db.prepare('SELECT min(idx), max(idx), count(*) FROM entries').raw().get() as [unknown, unknown, unknown];
  const [min, max, count] = bounds;
  let logEnd = trimmedIdx;
  if (typeof count === 'number' && count > 0) {
    if (!isIndex(min) || !isIndex(max) || min !== trimmedIdx || max - min + 1 !== count) {
      throw new StorageError(
        `${path}: corrupt log: ${String(count)} entries from ${String(min)} to ${String(max)}, trimmed index ${trimmedIdx}`,
      );
    }
    logEnd = max + 1;
  }
  const state: PersistedState = {
    promise: parseBallot(path, 'promise', meta.get('promise')),
    acceptedRound: parseBallot(path, 'acceptedRound', meta.get('acceptedRound')),
    decidedIdx: parseIndex(path, 'decidedIdx', meta.get('decidedIdx')),
    compactedIdx: parseIndex(path, 'compactedIdx', meta.get('compactedIdx')),
    trimmedIdx,
    logEnd,
    stopSign: parseBlob(path, 'stopSign', meta.get('stopSign')),
    snapshot: parseBlob(path, 'snapshot', meta.get('snapshot')),
  };
  return state;
}
