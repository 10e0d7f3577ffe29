import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';

/**
 * WalFile fdatasyncs SQLite's write-ahead log (`<db>-wal`) for a storage that commits without syncing.
 * The file is opened at the first sync and reopened whenever the path names another file than the
 * one held open (SQLite deletes the log when the last connection closes), so a sync always reaches
 * the log SQLite is writing.
 */
export class WalFile {
  private fd: number | undefined;
  private ino = -1;

  constructor(readonly path: string) {}

  /** sync resolves once every byte written to the log so far is durable; it runs on the thread pool. */
  sync(): Promise<void> {
    const fd = this.current();
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  /** syncNow is `sync` on the calling thread. */
  syncNow(): void {
    fdatasyncSync(this.current());
  }

  /** inode is the inode of the file held open (-1 before the first sync). */
  inode(): number {
    return this.ino;
  }

  /** close releases the file descriptor. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private current(): number {
    const ino = statSync(this.path).ino;
    if (this.fd === undefined || ino !== this.ino) {
      this.close();
      this.fd = openSync(this.path, 'r');
      this.ino = fstatSync(this.fd).ino;
    }
    return this.fd;
  }
}
