import type { NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { appendAll, expectSameFullLog, pulledFrom, range, startReconfigCluster } from './reconfig-harness.js';

async function reconfigure(c: ReturnType<typeof startReconfigCluster>, via: NodeId, next: { configurationId: number; nodes: NodeId[] }) {
  c.replica(via).reconfigure(next);
  for (const p of next.nodes) if (!c.replicas.has(p)) c.join(p, next);
  await c.until(() => c.leaderOf(next.nodes) !== undefined, 3000, `a leader of configuration ${next.configurationId}`);
}

describe('reconfiguration with parallel catch-up', () => {
  it('replaces one server: the new server pulls the log from both continuing servers', async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const before = range('a', 120);
    await appendAll(c, [1, 2, 3], before);
    const next = { configurationId: 2, nodes: [1, 2, 4] };
    await reconfigure(c, 3, next); // a follower's request is forwarded to the leader
    expect(pulledFrom(c, 4)).toEqual([1, 2]);
    await c.until(() => c.replica(3).actor.getSnapshot().output?.reason === 'retired', 500, 'server 3 retired');
    const after = range('b', 20);
    await appendAll(c, [1, 2, 4], after);
    await expectSameFullLog(c, next.nodes, [...before, ...after]);
    await c.stop();
  });

  it('replaces a majority: {1,2,3,4,5} to {1,2,6,7,8}', async () => {
    const c = startReconfigCluster([1, 2, 3, 4, 5]);
    await c.until(() => c.leaderOf([1, 2, 3, 4, 5]) !== undefined, 500, 'a leader');
    const before = range('a', 100);
    await appendAll(c, [1, 3, 5], before);
    const next = { configurationId: 2, nodes: [1, 2, 6, 7, 8] };
    await reconfigure(c, 1, next);
    for (const p of [6, 7, 8]) expect(pulledFrom(c, p)).toEqual([1, 2]);
    const after = range('b', 15);
    await appendAll(c, [6, 7, 8], after);
    await expectSameFullLog(c, next.nodes, [...before, ...after]);
    await c.until(() => [3, 4, 5].every((p) => c.replica(p).actor.getSnapshot().output?.reason === 'retired'), 500, 'removed servers retired');
    await c.stop();
  });

  it('grows 3 to 5, then shrinks 5 to 3, and keeps one log', async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const a = range('a', 60);
    await appendAll(c, [1, 2, 3], a);
    await reconfigure(c, 2, { configurationId: 2, nodes: [1, 2, 3, 4, 5] });
    const b = range('b', 30);
    await appendAll(c, [4, 5], b);
    await reconfigure(c, 4, { configurationId: 3, nodes: [3, 4, 5] });
    const d = range('d', 10);
    await appendAll(c, [3, 4, 5], d);
    await expectSameFullLog(c, [3, 4, 5], [...a, ...b, ...d]);
    await c.stop();
  });

  it('runs two reconfigurations in a row: the second new server pulls both finished configurations', async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const a = range('a', 50);
    await appendAll(c, [1], a);
    await reconfigure(c, 1, { configurationId: 2, nodes: [1, 2, 4] });
    const b = range('b', 40);
    await appendAll(c, [4], b);
    await reconfigure(c, 4, { configurationId: 3, nodes: [1, 4, 5] });
    expect(pulledFrom(c, 5)).toEqual([1, 4]);
    const d = range('d', 10);
    await appendAll(c, [5], d);
    await expectSameFullLog(c, [1, 4, 5], [...a, ...b, ...d]);
    await c.stop();
  });

  it('carries appends made during the reconfiguration into the next configuration, or rejects them with StopSign', async () => {
    const c = startReconfigCluster([1, 2, 3]);
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const a = range('a', 30);
    await appendAll(c, [1, 2, 3], a);
    const during = range('x', 30);
    const outcomes = during.map((e, i) =>
      c
        .replica(([1, 2, 3] as NodeId[])[i % 3] as NodeId)
        .append(e)
        .then(
          () => 'ok' as const,
          (err: { code?: string }) => err.code ?? 'error',
        ),
    );
    await reconfigure(c, 1, { configurationId: 2, nodes: [1, 2, 4] });
    const results = await Promise.all(outcomes);
    expect(results.every((r) => r === 'ok' || r === 'StopSign')).toBe(true);
    const accepted = during.filter((_, i) => results[i] === 'ok');
    await expectSameFullLog(c, [1, 2, 4], [...a, ...accepted]);
    await c.stop();
  });
});
