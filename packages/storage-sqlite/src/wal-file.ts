import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';

/**
 * WalFile fdatasyncs SQLite's write-ahead log for a storage that commits without syncing. At most one
 * sync runs at a time: a sync asked for while one runs shares the single follow-up sync that starts
 * when it ends (and so covers every commit made before it was asked for) — group commit, and no pile
 * of fsyncs on libuv's thread pool. The file is opened at the first sync and reopened whenever the
 * path names another file than the one held open; `close` waits for the syncs in flight.
 */
export class WalFile {
  private fd: number | undefined;
  private ino = -1;
  private running: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  private closing = false;
  private abandoned = false;

  /** `path` is the log's file: the database's resolved path (`PRAGMA database_list`) plus `-wal`. */
  constructor(readonly path: string) {}

  /** sync resolves once every byte written to the log before the call is durable; it runs on the thread pool. */
  sync(): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`${this.path}: closed`));
    if (this.running === undefined) return this.start();
    this.following ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.following = undefined;
        // Closed meanwhile: the closer synced everything on its own thread first (see close), or
        // abandoned the log (a simulated crash), and then this sync did not happen.
        if (this.abandoned) throw new Error(`${this.path}: closed before it was synced`);
        return this.closing ? undefined : this.start();
      });
    return this.following;
  }

  /** syncNow syncs on the calling thread. */
  syncNow(): void {
    fdatasyncSync(this.current());
  }

  /** inode is the inode of the file held open (-1 before the first sync). */
  inode(): number {
    return this.ino;
  }

  /**
   * close releases the file descriptor once the sync in flight has ended; later syncs reject. Call it
   * after a `syncNow` that covers every write: a follow-up sync still waiting then completes without
   * syncing again (the log may be gone by then: SQLite deletes it when the database closes). With
   * `abandon` (a crash, no final sync) such a waiting sync rejects instead.
   */
  close(abandon = false): void {
    this.closing = true;
    this.abandoned = abandon;
    const pending = this.following ?? this.running;
    if (pending === undefined) this.release();
    else void pending.catch(() => undefined).then(() => this.release());
  }

  private start(): Promise<void> {
    let fd: number;
    try {
      fd = this.current();
    } catch (err) {
      return Promise.reject(err);
    }
    const run = new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.running = run;
    const clear = (): void => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private current(): number {
    const ino = statSync(this.path).ino;
    if (this.fd === undefined || ino !== this.ino) {
      const old = this.fd;
      if (old !== undefined) {
        // A sync may still run on the old descriptor: close it when that sync has ended.
        const closeOld = (): void => closeSync(old);
        if (this.running === undefined) closeOld();
        else this.running.then(closeOld, closeOld);
      }
      this.fd = openSync(this.path, 'r');
      this.ino = fstatSync(this.fd).ino;
    }
    return this.fd;
  }
}
