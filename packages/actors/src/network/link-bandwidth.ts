import { type NodeId, estimateSize } from '@omnipaxos/core';

interface Queued<M> {
  message: M;
  size: number;
}

interface LinkQueue<M> {
  bytesPerTick: number;
  credit: number;
  queue: Queued<M>[];
  head: number;
}

/**
 * LinkBandwidth limits directed links to `bytesPerTick`: a message on a limited link waits in that
 * link's FIFO queue until the link has sent its bytes (credit accrues one `bytesPerTick` per tick;
 * a message larger than that waits several ticks). It also counts the bytes each node sent over
 * limited links. Pure bookkeeping: the router calls `enqueue` on send and `release` on each tick.
 */
export class LinkBandwidth<M extends { from: NodeId; to: NodeId }> {
  private readonly links = new Map<string, LinkQueue<M>>();
  private readonly sentBy = new Map<NodeId, number>();

  /** set limits `from -> to` to `bytesPerTick` (undefined removes the limit and releases its queue on the next tick). */
  set(from: NodeId, to: NodeId, bytesPerTick: number | undefined): void {
    const key = `${from}->${to}`;
    const q = this.links.get(key);
    if (bytesPerTick === undefined) {
      if (q) q.bytesPerTick = Number.POSITIVE_INFINITY;
      return;
    }
    if (q) q.bytesPerTick = bytesPerTick;
    else this.links.set(key, { bytesPerTick, credit: 0, queue: [], head: 0 });
  }

  /** limited is true when `from -> to` has a bandwidth limit. */
  limited(from: NodeId, to: NodeId): boolean {
    return this.links.has(`${from}->${to}`);
  }

  /** enqueue puts a message at the end of its link's queue. */
  enqueue(message: M): void {
    const q = this.links.get(`${message.from}->${message.to}`);
    if (!q) return;
    const size = estimateSize(message);
    this.sentBy.set(message.from, (this.sentBy.get(message.from) ?? 0) + size);
    q.queue.push({ message, size });
  }

  /** release advances every link by one tick and returns the messages whose bytes have now been sent. */
  release(): M[] {
    const out: M[] = [];
    for (const q of this.links.values()) {
      if (q.head >= q.queue.length) {
        q.credit = 0; // an idle link does not save up bandwidth
        continue;
      }
      q.credit += q.bytesPerTick;
      while (q.head < q.queue.length) {
        const m = q.queue[q.head] as Queued<M>;
        if (m.size > q.credit) break;
        q.credit -= m.size;
        out.push(m.message);
        q.head += 1;
      }
      if (q.head >= q.queue.length) {
        q.queue = [];
        q.head = 0;
      }
    }
    return out;
  }

  /** bytesSent is how many bytes `pid` sent over limited links. */
  bytesSent(pid: NodeId): number {
    return this.sentBy.get(pid) ?? 0;
  }

  /** clear drops every queued message. */
  clear(): void {
    for (const q of this.links.values()) {
      q.queue = [];
      q.head = 0;
    }
  }
}
