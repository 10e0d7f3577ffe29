import { type Message, type PersistMark, sendsBeforeFlush } from '@omnipaxos/core';
import { VolatileStorage } from './volatile-storage.js';

/** HeldOutput is what a node drained and may send only after its next flush. */
interface HeldOutput<T, S> {
  messages: Message<T, S>[];
  mark: PersistMark | undefined;
}

/**
 * DeferredDisk is one node's disk in the simulator's `deferred` durability mode, driven like the
 * actors' pipelined driver: a write cache (`storage`) and the output that waits for the next flush.
 * What may go before the flush goes at once unless older output still waits (per-link order);
 * leader election messages never wait.
 */
export class DeferredDisk<T, S> {
  readonly storage = new VolatileStorage<T, S>();
  private queue: HeldOutput<T, S>[] = [];

  /**
   * take sorts one drain's output: `route` gets what goes now; the rest waits for the flush. With
   * nothing waiting and nothing unflushed, the leader's log is durable as it stands: `persisted` now.
   */
  take(out: Message<T, S>[], mark: PersistMark | undefined, route: (m: Message<T, S>) => void, persisted: (mark: PersistMark) => void): void {
    const waiting: Message<T, S>[] = [];
    for (const m of out) {
      if (m.kind !== 'SequencePaxos' || (this.queue.length === 0 && waiting.length === 0 && sendsBeforeFlush(m))) route(m);
      else waiting.push(m);
    }
    if (waiting.length > 0 || this.queue.length > 0 || this.storage.hasUnflushedWrites()) this.queue.push({ messages: waiting, mark });
    else if (mark !== undefined) persisted(mark);
  }

  /** pending is true while writes or output wait for a flush. */
  pending(): boolean {
    return this.queue.length > 0 || this.storage.hasUnflushedWrites();
  }

  /**
   * flush makes the writes durable, then sends the waiting output in order and hands each mark to
   * `persisted`; it stops when `stillUp` turns false (the node crashed on the way).
   */
  flush(route: (m: Message<T, S>) => void, persisted: (mark: PersistMark | undefined) => void, stillUp: () => boolean): void {
    this.storage.persist();
    const queue = this.queue;
    this.queue = [];
    for (const h of queue) {
      for (const m of h.messages) route(m);
      if (!stillUp()) return;
      persisted(h.mark);
    }
  }

  /** crash drops the waiting output and the unflushed writes; returns how many writes were lost. */
  crash(): number {
    this.queue = [];
    return this.storage.loseUnflushed();
  }
}
