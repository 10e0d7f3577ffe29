import { afterAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually, scaled } from './cluster-harness.js';

describe('kv-store: reconfiguration across processes', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('replaces replica 3 by a new replica 4 that serves the continuous log', async () => {
    await cluster.startAll();
    await eventually('a leader is elected', async () => {
      if ((await cluster.client(1).status()).leader === null) throw new Error('no leader yet');
    });
    const before = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const pid = cluster.nodes[i % 3] ?? 1;
      await eventually(`write ${i}`, () => cluster.client(pid).put(`before${i}`, `b${i}`));
      before.set(`before${i}`, `b${i}`);
    }

    // Replica 4 starts as a joiner of configuration 2 = {1, 2, 4}; then a replica is asked to reconfigure.
    const port4 = await cluster.addJoining(4, [1, 2, 4], 2);
    expect((await cluster.client(4).status()).mode).toBe('joining');
    const answer = await cluster.client(2).reconfigure([1, 2, 4], { 4: `127.0.0.1:${port4}` });
    expect(answer.proposed).toEqual({ configurationId: 2, nodes: [1, 2, 4] });

    await eventually('replica 4 runs configuration 2', async () => {
      const s = await cluster.client(4).status();
      if (s.mode !== 'running' || s.configuration.configurationId !== 2) throw new Error(JSON.stringify({ mode: s.mode, c: s.configuration }));
    }, 30_000);
    await eventually('replica 3 retires', async () => {
      const s = await cluster.client(3).status();
      if (s.mode !== 'retired') throw new Error(s.mode);
    }, 30_000);
    await expect(cluster.client(3).put('late', 'x')).rejects.toThrow(/503/);

    // The new configuration serves writes through every member, 4 included.
    const after = new Map<string, string>();
    for (const pid of [4, 1, 2]) {
      await eventually(`write through ${pid}`, () => cluster.client(pid).put(`after${pid}`, `a${pid}`), 20_000);
      after.set(`after${pid}`, `a${pid}`);
    }
    for (const [k, v] of [...before, ...after]) expect((await cluster.client(4).get(k)).value).toBe(v);

    // One continuous log: 4's decided log (pulled history + its own) equals 1's, dense from 0.
    const last = (await cluster.client(1).status()).decidedIdx - 1;
    const log4 = await eventually('replica 4 has the whole log', async () => {
      const l = await cluster.client(4).log(0, 100_000);
      if ((l.at(-1)?.idx ?? -1) < last) throw new Error(`at ${l.at(-1)?.idx} of ${last}`);
      return l;
    });
    const log1 = await cluster.client(1).log(0, 100_000);
    expect(log4.map((e) => e.idx)).toEqual(log4.map((_, i) => i));
    const n = Math.min(log1.length, log4.length);
    expect(log4.slice(0, n)).toEqual(log1.slice(0, n));
    expect(log4.filter((e) => e.entry.op === 'put' && e.entry.key.startsWith('before')).length).toBeGreaterThanOrEqual(before.size);
  }, scaled(90_000));
});
