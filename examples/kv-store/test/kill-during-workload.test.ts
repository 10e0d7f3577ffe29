import { afterAll, describe, expect, it } from 'vitest';
import { KvClient, type KvLogItem } from '../src/client.js';
import { ProcessCluster, eventually, scaled } from './cluster-harness.js';

/** Workload is a few clients writing unique keys through random live replicas, recording what was acknowledged. */
class Workload {
  /** key → value, with the log index the replica answered, for every acknowledged put. */
  readonly acked = new Map<string, { value: string; idx: number }>();
  failures = 0;
  private running = true;
  private readonly done: Promise<void>[];

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly alive: Set<number>,
    clients: number,
  ) {
    this.done = Array.from({ length: clients }, (_, c) => this.client(c));
  }

  private async client(c: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const live = [...this.alive];
      const pid = live[Math.floor(Math.random() * live.length)];
      const url = pid === undefined ? undefined : this.cluster.urls.get(pid);
      if (url === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const key = `c${c}-${n}`;
      try {
        const { idx } = await new KvClient(url, 5_000).put(key, `v${n}`);
        this.acked.set(key, { value: `v${n}`, idx });
      } catch {
        this.failures++; // unacknowledged: it may or may not be in the log, so it is never checked
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** until waits (bounded) until `more` further writes were acknowledged. */
  async until(more: number, what: string, timeoutMs = 15_000): Promise<void> {
    const target = this.acked.size + more;
    await eventually(what, async () => {
      if (this.acked.size < target) throw new Error(`${this.acked.size} of ${target} acknowledged`);
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }
}

describe('kv-store: SIGKILL during a concurrent workload', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('loses no acknowledged write when the leader, then a follower, is killed and restarted', async () => {
    await cluster.startAll();
    const leaderOf = (pid: number) =>
      eventually(`replica ${pid} knows a leader`, async () => {
        const l = (await cluster.client(pid).status()).leader;
        if (l === null) throw new Error('no leader yet');
        return l;
      });
    const alive = new Set(cluster.nodes);
    const workload = new Workload(cluster, alive, 4);
    try {
      await workload.until(40, 'writes before the first kill');

      // Kill the leader mid-workload; the clients keep going against the two survivors.
      const leader = await leaderOf(1);
      alive.delete(leader);
      await cluster.kill(leader);
      await workload.until(40, 'writes after the leader was killed', 25_000);
      await cluster.start(leader);
      alive.add(leader);
      await workload.until(20, 'writes after the old leader restarted');

      // Then a follower of the new leader.
      const newLeader = await leaderOf([...alive].find((p) => p !== leader) ?? 1);
      const follower = cluster.nodes.find((p) => p !== newLeader) ?? 0;
      alive.delete(follower);
      await cluster.kill(follower);
      await workload.until(40, 'writes after a follower was killed', 25_000);
      await cluster.start(follower);
      alive.add(follower);
      await workload.until(20, 'writes after the follower restarted');
    } finally {
      await workload.stop();
    }

    expect(workload.acked.size).toBeGreaterThanOrEqual(160);
    // Every replica catches up to the same decided log, containing every acknowledged write at its index.
    const last = Math.max(...[...workload.acked.values()].map((a) => a.idx));
    const logs = new Map<number, KvLogItem[]>();
    for (const pid of cluster.nodes) {
      const log = await eventually(`replica ${pid} catches up`, async () => {
        const l = await cluster.client(pid).log(0, 100_000);
        if ((l.at(-1)?.idx ?? -1) < last) throw new Error(`at ${l.at(-1)?.idx} of ${last}`);
        return l;
      }, 30_000);
      logs.set(pid, log);
    }
    const reference = logs.get(1) ?? [];
    expect(reference.map((e) => e.idx)).toEqual(reference.map((_, i) => i)); // dense, no gaps
    for (const pid of cluster.nodes) {
      const log = logs.get(pid) ?? [];
      const n = Math.min(log.length, reference.length);
      expect(log.slice(0, n)).toEqual(reference.slice(0, n)); // same entries in the same order
      for (const [key, { value, idx }] of workload.acked) expect(log[idx]?.entry).toEqual({ op: 'put', key, value });
    }
    // And readable through every replica (reads go through the log).
    const keys = [...workload.acked.keys()];
    for (const pid of cluster.nodes) {
      const client = cluster.client(pid);
      for (let i = 0; i < keys.length; i += 25) {
        const batch = keys.slice(i, i + 25);
        const values = await Promise.all(batch.map((k) => client.get(k)));
        batch.forEach((k, j) => expect(values[j]?.value).toBe(workload.acked.get(k)?.value));
      }
    }
  }, scaled(90_000));
});
