import { estimateSize } from '@omnipaxos/core';

/**
 * DecidedRetention keeps the latest decided items for late listeners and `getDecided`, bounded both
 * by count (`maxItems`) and by the approximate size of their entries (`maxBytes`, see estimateSize):
 * after every `push` it holds at most that many, dropping the oldest first (an entry larger than
 * `maxBytes` is not kept at all). Dropping is O(1) per item: the array is compacted now and then.
 */
export class DecidedRetention<I extends { entry: unknown }> {
  private items: I[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
    private readonly sizeOf: (entry: I['entry']) => number = estimateSize,
  ) {}

  /** heldBytes is the approximate size of the items held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** push records one decided item (nothing when either bound is 0). */
  push(item: I): void {
    if (this.maxItems <= 0 || this.maxBytes <= 0) return;
    const size = this.sizeOf(item.entry);
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    while (this.head < this.items.length && (this.items.length - this.head > this.maxItems || this.bytes > this.maxBytes)) {
      this.bytes -= this.sizes[this.head] as number;
      this.items[this.head] = undefined as unknown as I; // release the entry now
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** list returns the items held, oldest first. */
  list(): readonly I[] {
    if (this.head > 0) this.compact();
    return this.items;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.sizes = this.sizes.slice(this.head);
    this.head = 0;
  }
}
