import { describe, expect, it } from 'vitest';
import { SegmentPuller } from '../src/internal.js';
import { FAST_PULL, appendAll, expectSameFullLog, startReconfigCluster } from './reconfig-harness.js';

const fill = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('segment replies bounded in bytes', () => {
  it('asks the same source again for the part of a request a short reply left out', () => {
    const p = new SegmentPuller<number>(0, 10, [1], { chunkSize: 10, window: 1, timeoutTicks: 5, retryTicks: 3 });
    p.markReady(1);
    const [first] = p.pump(0);
    expect(first).toMatchObject({ to: 1, from: 0, end: 10 });
    p.handleReply(1, first!.reqId, 0, fill(0, 4)); // the source stopped at its byte bound
    const [second] = p.pump(1);
    expect(second).toMatchObject({ to: 1, from: 4, end: 10 });
    p.handleReply(1, second!.reqId, 4, fill(4, 10));
    expect(p.takeContiguous().entries).toEqual(fill(0, 10));
    expect(p.isComplete()).toBe(true);
  });

  it('pulls a log of large entries in replies that each stay under maxSegmentBytes', async () => {
    const maxSegmentBytes = 1200;
    const c = startReconfigCluster([1, 2, 3], { migration: { ...FAST_PULL, chunkSize: 64, maxSegmentBytes } });
    await c.until(() => c.leaderOf([1, 2, 3]) !== undefined, 500, 'a leader');
    const big = Array.from({ length: 60 }, (_, i) => `${i}:${'v'.repeat(300)}`);
    await appendAll(c, [1, 2, 3], big);
    const next = { configurationId: 2, nodes: [1, 2, 4] };
    c.replica(1).reconfigure(next);
    c.join(4, next);
    await c.until(() => c.leaderOf(next.nodes) !== undefined, 3000, 'a leader of configuration 2');
    await expectSameFullLog(c, next.nodes, big);
    const chunks = (c.timeline.get(4) ?? []).filter((e) => e.kind === 'chunk');
    // A raw position holds up to PACK (3) entries of ~330 bytes: a 1,200-byte reply carries at most one
    // position (a reply always carries at least one, even past the bound). Without the bound, one reply
    // answers a whole 64-position request.
    expect(chunks.length).toBeGreaterThan(0);
    for (const e of chunks) if (e.kind === 'chunk') expect(e.to - e.from).toBe(1);
    await c.stop();
  });
});
