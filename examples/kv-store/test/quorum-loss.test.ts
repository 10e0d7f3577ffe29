import { afterAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from './cluster-harness.js';

async function cut(url: string, peer: number, action: 'cut' | 'heal'): Promise<void> {
  const res = await fetch(`${url}/links/${peer}/${action}`, { method: 'POST' });
  if (!res.ok) throw new Error(`${action} ${peer} at ${url}: ${res.status}`);
}

describe('kv-store: quorum loss across five processes (links cut at the transport)', () => {
  const cluster = new ProcessCluster([1, 2, 3, 4, 5]);
  afterAll(() => cluster.stopAll());

  it('elects the only quorum-connected server after quorum loss, and keeps serving through it', async () => {
    await cluster.startAll();
    const leader = await eventually('a leader is elected', async () => {
      const l = (await cluster.client(1).status()).leader;
      if (l === null) throw new Error('no leader yet');
      return l;
    });
    await eventually('a first write', () => cluster.client(leader).put('before', 'x'));

    // Quorum loss: only `hub` stays connected to everyone; every other link is cut (on both ends).
    const hub = cluster.nodes.find((p) => p !== leader) ?? 0;
    const others = cluster.nodes.filter((p) => p !== hub);
    for (const a of others) {
      for (const b of others) if (a !== b) await cut(cluster.urls.get(a) ?? '', b, 'cut');
    }
    // The old leader is now connected to the hub only: it has lost its quorum. The hub is the only
    // server connected to a majority, so it must take over, and writes through it must succeed.
    await eventually('the hub becomes leader', async () => {
      const s = await cluster.client(hub).status();
      if (s.leader !== hub) throw new Error(`hub ${hub} follows ${s.leader}`);
    }, 60_000);
    const w = await eventually('a write through the hub', () => cluster.client(hub).put('during', 'y'));
    expect(w.idx).toBeGreaterThan(0);
    expect((await cluster.client(hub).get('before')).value).toBe('x');

    for (const a of others) {
      for (const b of others) if (a !== b) await cut(cluster.urls.get(a) ?? '', b, 'heal');
    }
    for (const pid of cluster.nodes) {
      await eventually(`read through ${pid} after healing`, async () => {
        expect((await cluster.client(pid).get('during')).value).toBe('y');
      });
    }
  });
});
