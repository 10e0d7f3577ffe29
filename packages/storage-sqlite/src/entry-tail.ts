/** How many of the latest entries an EntryTail keeps by default. */
export const TAIL_ENTRIES = 1024;

/**
 * EntryTail keeps the latest entries written, as written (at most `capacity`), always as the suffix
 * of the log: `from + entries.length` is the log end. Reads of recent entries — the leader reporting
 * what it just decided, syncing a follower that is a little behind — skip SQLite and the codec.
 */
export class EntryTail<T> {
  private from: number;
  private entries: T[] = [];

  constructor(
    logEnd: number,
    private readonly capacity = TAIL_ENTRIES,
  ) {
    this.from = logEnd;
  }

  /** read returns the entries in [start, end) if they are all held (end is at most the log end), else undefined. */
  read(start: number, end: number): T[] | undefined {
    return start >= this.from ? this.entries.slice(start - this.from, end - this.from) : undefined;
  }

  /** append records entries written at the log end. */
  append(entries: readonly T[]): void {
    for (let i = 0; i < entries.length; i++) this.entries.push(entries[i] as T);
    if (this.entries.length > this.capacity) this.dropBefore(this.from + this.entries.length - this.capacity);
  }

  /** cut follows the log after a truncation or a trim moved its end to `logEnd` and its start to `trimmedIdx`. */
  cut(logEnd: number, trimmedIdx: number): void {
    if (logEnd < this.from || trimmedIdx >= logEnd) return this.reset(logEnd);
    this.entries.length = Math.min(this.entries.length, logEnd - this.from);
    if (trimmedIdx > this.from) this.dropBefore(trimmedIdx);
  }

  /** reset forgets every entry (after a failed write); the log ends at `logEnd`. */
  reset(logEnd: number): void {
    this.from = logEnd;
    this.entries = [];
  }

  private dropBefore(idx: number): void {
    this.entries.splice(0, idx - this.from);
    this.from = idx;
  }
}
