import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { StorageError } from '@omnipaxos/core';
import { ChecksumError, SCHEMA_VERSION, SqliteStorage, identityFilePath } from '@omnipaxos/storage-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './temp-dir.js';

const dir = tempDir('integrity');
afterAll(() => dir.remove());
let n = 0;
const fresh = (): string => dir.file(`db-${n++}.sqlite`);
const open = (path: string, more: Partial<Parameters<typeof SqliteStorage.open<string>>[0]> = {}): SqliteStorage<string> =>
  SqliteStorage.open<string>({ path, clusterId: 'c1', pid: 1, ...more });
const ballot = { configId: 1, n: 4, priority: 0, pid: 2 };
const entries = (count: number, tag = 'e'): string[] => Array.from({ length: count }, (_, i) => `${tag}-${i}-${'x'.repeat(40)}`);

/** withData makes a database that has promised and accepted, and closes it cleanly. */
function withData(path: string, count = 200): void {
  const s = open(path);
  s.appendEntries(entries(count));
  s.setPromise(ballot);
  s.setAcceptedRound(ballot);
  s.flushSync();
  s.close();
}

function flipByteAt(file: string, offset: number): void {
  const bytes = readFileSync(file);
  bytes[offset] = (bytes[offset] as number) ^ 0x01;
  writeFileSync(file, bytes);
}

describe('checksummed entries', () => {
  it('refuses to open a database with a flipped byte in a stored value, naming the file and the index', () => {
    const path = fresh();
    const s = open(path);
    s.appendEntries(['first', 'second', 'MARKER-one-of-a-kind-value', 'fourth']);
    s.close();
    const at = readFileSync(path).indexOf('MARKER-one-of-a-kind-value');
    expect(at).toBeGreaterThan(0);
    flipByteAt(path, at + 3);
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('quick_check', { simple: true })).toBe('ok'); // SQLite's own check cannot see it
    db.close();
    let err: unknown;
    try {
      open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as ChecksumError).at).toEqual({ index: 2 });
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/log entry 2/);
  });

  it('never serves a damaged entry on read: the storage fails for good and tells its owner', () => {
    const path = fresh();
    withData(path, 3000);
    const db = new BetterSqlite3(path);
    db.prepare('UPDATE entries SET data = ? WHERE idx = 1234').run(Buffer.from([0xa5, 0x7a]));
    db.close();
    const failures: StorageError[] = [];
    const s = open(path, { verify: false, onFailure: (e) => failures.push(e) });
    expect(s.getEntries(0, 1000)).toHaveLength(1000);
    expect(() => s.getEntries(1200, 1300)).toThrow(/checksum mismatch in log entry 1234/);
    expect(failures).toHaveLength(1);
    expect(s.getFailure()).toBe(failures[0]);
    expect(() => s.getEntries(0, 10)).toThrow(ChecksumError);
    expect(() => s.appendEntry('more')).toThrow(ChecksumError);
    s.discard();
  });

  it('checksums the state rows and the snapshot', () => {
    const path = fresh();
    const s = SqliteStorage.open<string, string>({ path, clusterId: 'c1', pid: 1 });
    s.setSnapshot('SNAPSHOT-of-the-state-machine');
    s.setDecidedIdx(7);
    s.close();
    const db = new BetterSqlite3(path);
    db.prepare("UPDATE meta SET value = 8 WHERE key = 'decidedIdx'").run();
    db.close();
    expect(() => open(path)).toThrow(/checksum mismatch in state row 'decidedIdx'/);
    const path2 = fresh();
    const t = SqliteStorage.open<string, string>({ path: path2, clusterId: 'c1', pid: 1 });
    t.setSnapshot('SNAPSHOT-of-the-state-machine');
    t.close();
    flipByteAt(path2, readFileSync(path2).indexOf('SNAPSHOT-of-the') + 2);
    expect(() => open(path2)).toThrow(/state row 'snapshot'/);
  });

  it('upgrades a version-1 database in place, adding checksums to what it holds', () => {
    const path = fresh();
    const db = new BetterSqlite3(path);
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
      CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);`);
    db.prepare('INSERT INTO meta VALUES (?, ?)').run('clusterId', 'c1');
    db.prepare('INSERT INTO meta VALUES (?, ?)').run('pid', 1);
    db.prepare('INSERT INTO meta VALUES (?, ?)').run('promise', JSON.stringify(ballot));
    db.prepare('INSERT INTO meta VALUES (?, ?)').run('decidedIdx', 2);
    const json = (v: string): Buffer => Buffer.from(JSON.stringify(v));
    ['a', 'b', 'c'].forEach((v, i) => db.prepare('INSERT INTO entries VALUES (?, ?)').run(i, json(v)));
    db.pragma('application_id = 1330665555');
    db.pragma('user_version = 1');
    db.close();
    const s = SqliteStorage.open<string>({ path, clusterId: 'c1', pid: 1, codec: { encode: (v) => json(v), decode: (b) => JSON.parse(Buffer.from(b).toString()) as string } });
    expect(s.getSuffix(0)).toEqual(['a', 'b', 'c']);
    expect(s.getPromise()).toEqual(ballot);
    expect(s.getDecidedIdx()).toBe(2);
    s.close();
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(check.prepare('SELECT count(*) FROM entries WHERE crc IS NULL').pluck().get()).toBe(0);
    check.close();
    expect(existsSync(identityFilePath(path))).toBe(true);
  });
});

describe('no silent amnesia', () => {
  it('writes an identity file beside a new database, naming cluster, pid and storage id', () => {
    const path = fresh();
    const s = open(path);
    const id = JSON.parse(readFileSync(identityFilePath(path), 'utf8')) as Record<string, unknown>;
    expect(id).toMatchObject({ clusterId: 'c1', pid: 1, storageId: s.storageId });
    s.close();
  });

  it('refuses a 0-byte database where one was initialised', () => {
    const path = fresh();
    withData(path);
    writeFileSync(path, '');
    expect(() => open(path)).toThrow(/empty \(0 bytes\).*silent amnesia/);
  });

  it('refuses a deleted database where one was initialised', () => {
    const path = fresh();
    withData(path);
    rmSync(path);
    expect(() => open(path)).toThrow(/database file is missing.*replica 1 of cluster "c1"/);
    expect(existsSync(path)).toBe(false); // and creates nothing
  });

  it('refuses a truncated database', () => {
    const path = fresh();
    withData(path, 3000);
    const size = readFileSync(path).length;
    truncateSync(path, Math.floor(size / 2));
    expect(() => open(path)).toThrow(StorageError);
  });

  it('refuses another database put in its place (an old backup or a copy from elsewhere)', () => {
    const path = fresh();
    withData(path);
    const other = fresh();
    withData(other);
    copyFileSync(other, path);
    expect(() => open(path)).toThrow(/not the database replica 1 initialised here/);
  });

  it('reports a write-ahead log damaged before its last transaction instead of dropping what follows', () => {
    const path = fresh();
    const s = open(path);
    for (let b = 0; b < 6; b++) {
      s.appendEntries(entries(100, `batch${b}`));
      s.flushSync();
    }
    // Copy the files while the storage is open: what a crash leaves behind.
    const intact = fresh();
    const damaged = fresh();
    for (const copy of [intact, damaged]) {
      copyFileSync(path, copy);
      copyFileSync(`${path}-wal`, `${copy}-wal`);
      copyFileSync(identityFilePath(path), identityFilePath(copy));
    }
    s.close();
    const walSize = readFileSync(`${damaged}-wal`).length;
    expect(walSize).toBeGreaterThan(32 + 3 * (24 + 4096));
    const r = open(intact);
    expect(r.getLogLen()).toBe(600); // SQLite recovers an intact log
    r.close();
    flipByteAt(`${damaged}-wal`, 32 + (24 + 4096) + 24 + 1000); // page data of frame 1
    expect(() => open(damaged)).toThrow(/write-ahead log is damaged \(frame 1 of \d+ fails its checksum/);
  });

  it('with forceNewIdentity, moves the damaged files aside and starts a new database', () => {
    const path = fresh();
    withData(path);
    writeFileSync(path, '');
    const s = open(path, { forceNewIdentity: true });
    expect(s.getLogLen()).toBe(0);
    expect(s.getPromise()).toBeUndefined();
    const id = JSON.parse(readFileSync(identityFilePath(path), 'utf8')) as { storageId: string };
    expect(id.storageId).toBe(s.storageId);
    s.close();
    const base = path.slice(path.lastIndexOf('/') + 1);
    expect(readdirSync(dir.path).some((f) => f.startsWith(`${base}.damaged-`))).toBe(true);
    const again = open(path);
    again.close();
  });
});

describe('loud disk failures', () => {
  it('fails for good when the disk is full, telling its owner, and reopens once there is room', async () => {
    const path = fresh();
    const failures: StorageError[] = [];
    const s = open(path, { maxSizeBytes: 256 * 1024, onFailure: (e) => failures.push(e) });
    let written = 0;
    let thrown: unknown;
    try {
      for (let b = 0; b < 100; b++) {
        s.appendEntries(entries(50, `b${b}`));
        await s.flush();
        written += 50;
      }
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StorageError);
    expect((thrown as Error).message).toMatch(/full/);
    expect(failures).toHaveLength(1);
    expect(() => s.getLogLen()).toThrow(StorageError);
    s.discard();
    const r = open(path);
    expect(r.getLogLen()).toBeGreaterThanOrEqual(written); // every flushed batch survived
    r.appendEntry('after');
    r.close();
  });
});
