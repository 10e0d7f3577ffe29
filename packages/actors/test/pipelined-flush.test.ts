import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import type { ReplicatedEntry } from '../src/index.js';
import { drive, startCluster } from './cluster-harness.js';

/**
 * GatedStorage is a MemoryStorage with a `flush()` a test controls: `gated` holds every flush until
 * `release()`; otherwise a flush completes on the next macrotask, like a fast disk.
 */
class GatedStorage<T> extends MemoryStorage<T> {
  gated = false;
  flushes = 0;
  private waiting: (() => void)[] = [];

  flush(): Promise<void> {
    this.flushes++;
    return new Promise((resolve) => {
      if (this.gated) this.waiting.push(resolve);
      else setImmediate(resolve);
    });
  }

  release(): void {
    this.gated = false;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

describe('pipelined Paxos driver (storage with flush)', () => {
  it('sends the accept before the leader flushes, and decides only after the leader flushed', async () => {
    const storages = new Map<NodeId, GatedStorage<ReplicatedEntry<string>>>();
    const c = startCluster<string>([1, 2, 3], (pid) => {
      const s = new GatedStorage<ReplicatedEntry<string>>();
      storages.set(pid, s);
      return { storage: s };
    });
    try {
      await c.until(() => c.leader() !== undefined, 500, 'a leader');
      await drive(c, c.replica(c.leader() as NodeId).append('warm-up'));
      const leader = c.leader() as NodeId;
      const [a, b] = [1, 2, 3].filter((p) => p !== leader) as [NodeId, NodeId];
      const ls = storages.get(leader) as GatedStorage<ReplicatedEntry<string>>;
      const as = storages.get(a) as GatedStorage<ReplicatedEntry<string>>;
      c.router.cut(leader, b); // the quorum is now the leader and a
      await c.advance(5); // earlier flushes (and what waits for them) complete
      ls.gated = true; // the leader's disk stalls
      const lenA = as.getLogLen();
      let decided = false;
      const pending = c.replica(leader).append('x');
      void pending.then(() => (decided = true));
      await c.advance(5);
      expect(as.getLogLen()).toBe(lenA + 1); // a got x while the leader's flush is still pending
      expect(decided).toBe(false); // a's acknowledgement alone does not decide it
      ls.release();
      const { idx } = await drive(c, pending, 50);
      expect(decided).toBe(true);
      expect(c.replica(leader).getDecided().find((d) => d.idx === idx)?.entry).toBe('x');
    } finally {
      await c.stop();
    }
  });

  it('stays idle when there is nothing to flush (no drain loop) and keeps deciding', async () => {
    const storages: GatedStorage<ReplicatedEntry<string>>[] = [];
    const c = startCluster<string>([1, 2, 3], () => {
      const s = new GatedStorage<ReplicatedEntry<string>>();
      storages.push(s);
      return { storage: s };
    });
    try {
      await c.until(() => c.leader() !== undefined, 500, 'a leader');
      const leader = c.leader() as NodeId;
      const results = await drive(c, Promise.all(Array.from({ length: 50 }, (_, i) => c.replica(leader).append(`e${i}`))));
      expect(new Set(results.map((r) => r.idx)).size).toBe(50);
      const before = storages.reduce((n, s) => n + s.flushes, 0);
      await c.advance(100);
      const perNodeTick = (storages.reduce((n, s) => n + s.flushes, 0) - before) / (3 * 100);
      // Ticks and heartbeats flush at most a few times per tick; a drain loop would never return.
      expect(perNodeTick).toBeLessThan(3);
    } finally {
      await c.stop();
    }
  });
});
