import { renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { StorageError } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { WalFile } from '../src/wal-file.js';
import { tempDir } from './temp-dir.js';

const dir = tempDir('background-sync');
afterAll(() => dir.remove());
let n = 0;
const fresh = (): string => dir.file(`db-${n++}.sqlite`);

describe('SqliteStorage backgroundSync (the log fsync runs on the thread pool)', () => {
  it('keeps every flushed batch across a reopen, with flushes overlapping later writes', async () => {
    const path = fresh();
    const s = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      s.appendEntries([`e${i}`]);
      s.setDecidedIdx(i + 1);
      flushes.push(s.flush()); // resolves later; the next batch is written meanwhile
    }
    await Promise.all(flushes);
    expect(s.hasUnflushedWrites()).toBe(false);
    s.discard(); // nothing unflushed is left to lose
    const again = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
    expect(again.getLogLen()).toBe(200);
    expect(again.getSuffix(198)).toEqual(['e198', 'e199']);
    expect(again.getDecidedIdx()).toBe(200);
    again.close();
  });

  it('counts writes as unflushed until their sync completes; a flush with nothing new waits for that sync', async () => {
    const s = SqliteStorage.open<string>({ path: fresh(), clusterId: 'c', pid: 1 });
    s.appendEntries(['a']);
    const first = s.flush();
    expect(s.hasUnflushedWrites()).toBe(true); // committed, not yet synced
    expect(s.flush()).toBe(first); // nothing new to commit: it is durable when that sync is
    await first;
    expect(s.hasUnflushedWrites()).toBe(false);
    s.close();
  });

  it('flushSync is durable on return in both modes', () => {
    for (const backgroundSync of [true, false]) {
      const path = fresh();
      const s = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1, backgroundSync });
      s.appendEntries(['a', 'b']);
      s.flushSync();
      s.discard();
      const again = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
      expect(again.getSuffix(0)).toEqual(['a', 'b']);
      again.close();
    }
  });

  it('fails the storage with StorageError when the log cannot be synced, and refuses further calls', async () => {
    const path = fresh();
    const s = SqliteStorage.open<string>({ path, clusterId: 'c', pid: 1 });
    s.appendEntries(['a']);
    await s.flush();
    unlinkSync(`${path}-wal`); // the log SQLite writes is no longer the file at its path
    s.appendEntries(['b']);
    await expect(s.flush()).rejects.toBeInstanceOf(StorageError);
    expect(() => s.getLogLen()).toThrow(StorageError);
    s.discard();
  });

  it('syncs the log next to the real file when the database path is a symlink', async () => {
    const target = fresh();
    const link = dir.file(`link-${n++}.sqlite`);
    SqliteStorage.open<string>({ path: target, clusterId: 'c', pid: 1 }).close();
    symlinkSync(target, link);
    const s = SqliteStorage.open<string>({ path: link, clusterId: 'c', pid: 1 });
    s.appendEntries(['a']);
    await s.flush();
    s.close();
    const again = SqliteStorage.open<string>({ path: target, clusterId: 'c', pid: 1 });
    expect(again.getSuffix(0)).toEqual(['a']);
    again.close();
  });

  it('close while syncs are in flight lets them complete', async () => {
    const s = SqliteStorage.open<string>({ path: fresh(), clusterId: 'c', pid: 1 });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      s.appendEntries([`e${i}`]);
      flushes.push(s.flush());
    }
    s.close();
    const results = await Promise.allSettled(flushes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('WalFile runs one sync at a time: syncs asked for meanwhile share one follow-up', async () => {
    const path = dir.file('group.log');
    writeFileSync(path, 'x');
    const wal = new WalFile(path);
    const first = wal.sync();
    const second = wal.sync();
    const third = wal.sync();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    wal.close();
    await expect(wal.sync()).rejects.toThrow(/closed/);
  });

  it('WalFile follows the path when the file behind it is replaced', async () => {
    const path = dir.file('plain.log');
    writeFileSync(path, 'first');
    const wal = new WalFile(path);
    await wal.sync();
    const before = wal.inode();
    writeFileSync(`${path}.new`, 'second');
    renameSync(`${path}.new`, path);
    wal.syncNow();
    expect(wal.inode()).not.toBe(before);
    wal.close();
  });
});
