/**
 * SendQueue is a bounded FIFO of encoded frames for one peer. When it is full, `push` drops the
 * oldest frame (consensus resends what matters, and newer messages supersede older ones) and reports
 * it, so a slow or absent peer costs at most `capacity` frames of memory.
 */
export class SendQueue {
  private items: Buffer[] = [];
  private head = 0;
  private bytes = 0;

  constructor(readonly capacity: number) {}

  /** push appends `frame`; returns how many frames were dropped to make room (0 or 1). */
  push(frame: Buffer): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.shift();
      dropped = 1;
    }
    this.items.push(frame);
    this.bytes += frame.length;
    return dropped;
  }

  /** shift removes and returns the oldest frame. */
  shift(): Buffer | undefined {
    if (this.head >= this.items.length) return undefined;
    const frame = this.items[this.head];
    this.items[this.head] = Buffer.alloc(0);
    this.head++;
    if (frame !== undefined) this.bytes -= frame.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** length is the number of frames waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** byteLength is the total size of the frames waiting. */
  get byteLength(): number {
    return this.bytes;
  }

  /** clear drops every frame and returns how many there were. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}
