import { afterAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from './cluster-harness.js';

describe('kv-store: three replica processes on loopback', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('serves reads and writes through every replica, survives a SIGKILLed leader and catches it up', async () => {
    const nodes = cluster.nodes;
    await cluster.startAll();
    const client = (pid: number) => cluster.client(pid);
    const leader = await eventually('a leader is elected', async () => {
      const l = (await client(1).status()).leader;
      if (l === null) throw new Error('no leader yet');
      return l;
    });

    // Writes through every replica (followers hand them to the leader), reads through every replica.
    const acknowledged = new Map<string, string>();
    for (const pid of nodes) {
      await client(pid).put(`k${pid}`, `v${pid}`);
      acknowledged.set(`k${pid}`, `v${pid}`);
    }
    for (const pid of nodes) expect((await client(pid).get('k1')).value).toBe('v1');
    expect((await client(2).cas('k3', 'v3', 'v3b')).ok).toBe(true);
    expect((await client(3).cas('k3', 'v3', 'nope')).ok).toBe(false);
    acknowledged.set('k3', 'v3b');
    expect((await client(1).delete('k2')).existed).toBe(true);
    acknowledged.delete('k2');

    // SIGKILL the leader; the other two keep serving and lose no acknowledged write.
    await cluster.kill(leader);
    const alive = nodes.filter((p) => p !== leader);
    const survivor = alive[0] ?? 0;
    for (let i = 0; i < 5; i++) {
      await eventually(`write ${i} after the leader died`, () => client(survivor).put(`after${i}`, String(i)));
      acknowledged.set(`after${i}`, String(i));
    }
    for (const pid of alive) {
      for (const [k, v] of acknowledged) expect((await client(pid).get(k)).value).toBe(v);
      expect((await client(pid).get('k2')).value).toBeNull();
    }

    // Restart it from its data folder: it recovers and catches up.
    await cluster.start(leader);
    const target = (await client(survivor).status()).decidedIdx;
    await eventually('the restarted replica catches up', async () => {
      const s = await client(leader).status();
      if (s.decidedIdx < target) throw new Error(`at ${s.decidedIdx} of ${target}`);
    }, 60_000);
    for (const [k, v] of acknowledged) expect((await client(leader).get(k)).value).toBe(v);
    // The transport's error counters are in /status: no message was ever too large for a frame.
    const { transport } = await client(survivor).status();
    expect(transport).toMatchObject({ oversize: 0, decodeErrors: expect.any(Number), dropped: expect.any(Number) });
    for (const p of transport.peers) expect(p).toMatchObject({ oversize: 0, encodeErrors: 0 });
  });
});
