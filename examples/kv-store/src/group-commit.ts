/** GroupCommitStorage is a storage whose `flush` can be deferred: it knows whether writes are pending. */
export interface GroupCommitStorage {
  flush(): Promise<void>;
  hasUnflushedWrites(): boolean;
}

/**
 * withGroupCommit makes `storage.flush()` a group commit: the first call in an event-loop turn schedules
 * one real flush (one fsync) for `setImmediate`, after every I/O callback of the turn ran, and every
 * call of that turn resolves with it. A flush covers all writes made before it was called (and those
 * made until the commit runs), so the durability contract is unchanged; a call with nothing unflushed
 * resolves at once. Without it, each HTTP request and each peer message handled in its own callback
 * pays its own synchronous fsync, which blocks the process and caps throughput.
 */
export function withGroupCommit<S extends GroupCommitStorage>(storage: S): S {
  const flushNow = storage.flush.bind(storage);
  let group: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  const commit = (): void => {
    const waiting = group;
    group = [];
    flushNow().then(
      () => {
        for (const w of waiting) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiting) w.reject(err);
      },
    );
  };
  storage.flush = () => {
    if (!storage.hasUnflushedWrites()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (group.length === 0) setImmediate(commit);
      group.push({ resolve, reject });
    });
  };
  return storage;
}
