/** How many of the latest entries an EntryTail keeps by default. */
export const TAIL_ENTRIES = 1024;

/** How many encoded bytes of the latest entries an EntryTail keeps by default (8 MiB). */
export const TAIL_BYTES = 8 * 1024 * 1024;

/**
 * EntryTail keeps the latest entries written, as written (at most `capacity` entries and `maxBytes`
 * of their encoded size), always as the suffix of the log: `from + entries.length` is the log end.
 * Reads of recent entries — the leader reporting what it just decided, syncing a follower that is a
 * little behind — skip SQLite and the codec. An entry larger than `maxBytes` is never held.
 */
export class EntryTail<T> {
  private from: number;
  private entries: T[] = [];
  /** sizes[i] is the encoded size of entries[i]; `bytes` is their sum. */
  private sizes: number[] = [];
  private bytes = 0;

  constructor(
    logEnd: number,
    private readonly capacity = TAIL_ENTRIES,
    private readonly maxBytes = TAIL_BYTES,
  ) {
    this.from = logEnd;
  }

  /** heldBytes is the encoded size of the entries held (for tests and diagnostics). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** read returns the entries in [start, end) if they are all held (end is at most the log end), else undefined. */
  read(start: number, end: number): T[] | undefined {
    return start >= this.from ? this.entries.slice(start - this.from, end - this.from) : undefined;
  }

  /** append records entries written at the log end; `sizes[i]` is the encoded size of `entries[i]`. */
  append(entries: readonly T[], sizes: readonly number[]): void {
    for (let i = 0; i < entries.length; i++) {
      this.entries.push(entries[i] as T);
      const size = sizes[i] ?? 0;
      this.sizes.push(size);
      this.bytes += size;
    }
    let drop = Math.max(0, this.entries.length - this.capacity);
    if (this.bytes > this.maxBytes) {
      let over = this.bytes - this.maxBytes;
      for (let i = 0; i < drop; i++) over -= this.sizes[i] as number;
      while (over > 0 && drop < this.entries.length) over -= this.sizes[drop++] as number;
    }
    if (drop > 0) this.dropBefore(this.from + drop);
  }

  /** cut follows the log after a truncation or a trim moved its end to `logEnd` and its start to `trimmedIdx`. */
  cut(logEnd: number, trimmedIdx: number): void {
    if (logEnd < this.from || trimmedIdx >= logEnd) return this.reset(logEnd);
    const keep = Math.min(this.entries.length, logEnd - this.from);
    for (let i = keep; i < this.sizes.length; i++) this.bytes -= this.sizes[i] as number;
    this.entries.length = keep;
    this.sizes.length = keep;
    if (trimmedIdx > this.from) this.dropBefore(trimmedIdx);
  }

  /** reset forgets every entry (after a failed write); the log ends at `logEnd`. */
  reset(logEnd: number): void {
    this.from = logEnd;
    this.entries = [];
    this.sizes = [];
    this.bytes = 0;
  }

  private dropBefore(idx: number): void {
    const n = idx - this.from;
    for (let i = 0; i < n; i++) this.bytes -= this.sizes[i] as number;
    this.entries.splice(0, n);
    this.sizes.splice(0, n);
    this.from = idx;
  }
}
