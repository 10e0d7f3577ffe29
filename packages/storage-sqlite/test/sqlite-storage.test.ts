import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { StorageError } from '@omnipaxos/core';
import { SCHEMA_VERSION, SqliteStorage } from '@omnipaxos/storage-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './temp-dir.js';

const dir = tempDir('sqlite-storage');
afterAll(() => dir.remove());
let n = 0;
const fresh = (): string => dir.file(`db-${n++}.sqlite`);
const open = (path: string, clusterId = 'c1', pid = 1): SqliteStorage<string> =>
  SqliteStorage.open<string>({ path, clusterId, pid });
const ballot = { configId: 1, n: 4, priority: 0, pid: 2 };

function withData(path: string): void {
  const s = open(path);
  s.appendEntries(['a', 'b', 'c']);
  s.setPromise(ballot);
  s.close();
}

describe('SqliteStorage group commit', () => {
  it('reads its own unflushed writes', () => {
    const s = open(fresh());
    s.appendEntries(['a', 'b']);
    s.setDecidedIdx(1);
    expect(s.hasUnflushedWrites()).toBe(true);
    expect(s.getSuffix(0)).toEqual(['a', 'b']);
    expect(s.getDecidedIdx()).toBe(1);
    s.close();
  });

  it('keeps flushed writes and drops unflushed ones when the process dies', async () => {
    const path = fresh();
    const s = open(path);
    s.appendEntries(['a', 'b']);
    s.setPromise(ballot);
    await s.flush();
    expect(s.hasUnflushedWrites()).toBe(false);
    s.appendEntry('lost');
    s.setDecidedIdx(2);
    s.discard();
    const r = open(path);
    expect(r.getSuffix(0)).toEqual(['a', 'b']);
    expect(r.getPromise()).toEqual(ballot);
    expect(r.getDecidedIdx()).toBe(0);
    r.close();
  });

  it('does not show unflushed writes to another connection', () => {
    const path = fresh();
    const s = open(path);
    s.appendEntry('a');
    s.flushSync();
    s.appendEntry('b');
    const reader = new BetterSqlite3(path, { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM entries').pluck().get()).toBe(1);
    s.flushSync();
    expect(reader.prepare('SELECT count(*) FROM entries').pluck().get()).toBe(2);
    reader.close();
    s.close();
  });

  it('keeps earlier unflushed writes of the batch when one write fails', async () => {
    const path = fresh();
    const s = open(path);
    s.appendEntry('a');
    expect(() => s.setDecidedIdx(-1)).toThrow(StorageError);
    s.appendEntry('b');
    await s.flush();
    s.discard();
    const r = open(path);
    expect(r.getSuffix(0)).toEqual(['a', 'b']);
    r.close();
  });

  it('refuses calls after close', () => {
    const s = open(fresh());
    s.close();
    s.close();
    expect(() => s.getLogLen()).toThrow(StorageError);
    expect(() => s.appendEntry('x')).toThrow(StorageError);
  });
});

describe('SqliteStorage opening', () => {
  it('stores the schema version and identity', () => {
    const path = fresh();
    withData(path);
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'clusterId'").pluck().get()).toBe('c1');
    db.close();
  });

  it('fails with StorageError for a database of another cluster', () => {
    const path = fresh();
    withData(path);
    expect(() => open(path, 'c2', 1)).toThrow(/belongs to cluster "c1" pid 1/);
    expect(() => open(path, 'c2', 1)).toThrow(StorageError);
  });

  it('fails with StorageError for a database of another pid', () => {
    const path = fresh();
    withData(path);
    expect(() => open(path, 'c1', 3)).toThrow(StorageError);
    const s = open(path, 'c1', 1);
    expect(s.getLogLen()).toBe(3);
    s.close();
  });

  it('fails with StorageError for a newer schema version', () => {
    const path = fresh();
    withData(path);
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open(path)).toThrow(/newer/);
  });

  it('fails with StorageError for a file that is not a database', () => {
    const path = fresh();
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(() => open(path)).toThrow(StorageError);
  });

  it('fails with StorageError for a SQLite database that is not an OmniPaxos storage', () => {
    const path = fresh();
    const db = new BetterSqlite3(path);
    db.exec('CREATE TABLE users (id INTEGER)');
    db.close();
    expect(() => open(path)).toThrow(/not an OmniPaxos storage/);
  });

  it('fails with StorageError for a damaged page', () => {
    const path = fresh();
    const s = open(path);
    s.appendEntries(Array.from({ length: 3000 }, (_, i) => `entry-${i}-${'x'.repeat(50)}`));
    s.close();
    const copy = fresh();
    copyFileSync(path, copy);
    const bytes = readFileSync(copy);
    bytes.fill(0x37, 4096 * 3, 4096 * 3 + 2048);
    writeFileSync(copy, bytes);
    expect(() => open(copy)).toThrow(StorageError);
  });

  it('fails with StorageError for a log with a gap', () => {
    const path = fresh();
    withData(path);
    const db = new BetterSqlite3(path);
    db.prepare('DELETE FROM entries WHERE idx = 1').run();
    db.close();
    expect(() => open(path)).toThrow(/corrupt log/);
  });

  it('fails with StorageError for a damaged state row', () => {
    const path = fresh();
    withData(path);
    const db = new BetterSqlite3(path);
    db.prepare("UPDATE meta SET value = 'garbage' WHERE key = 'promise'").run();
    db.close();
    expect(() => open(path)).toThrow(/checksum mismatch in state row 'promise'/);
  });
});

