import { describe, expect, it } from 'vitest';
import { Router, type WireMessage } from '../src/index.js';
import { SegmentPuller } from '../src/internal.js';

const opts = { chunkSize: 10, window: 2, timeoutTicks: 5, retryTicks: 3 };
const hb = (from: number, to: number): WireMessage<string> => ({ kind: 'BLE', from, to, msg: { type: 'HeartbeatRequest', round: 1 } });

describe('SegmentPuller', () => {
  it('splits the range into one segment per source and asks each with a window of chunks', () => {
    const p = new SegmentPuller<number>(0, 100, [1, 2], opts);
    const reqs = p.pump(0);
    expect(reqs.map((r) => [r.to, r.from, r.end])).toEqual([
      [1, 0, 10],
      [1, 10, 20],
      [2, 50, 60],
      [2, 60, 70],
    ]);
  });

  it('moves a timed-out source’s work to the other ready source and delivers a gap-free prefix', () => {
    const p = new SegmentPuller<number>(0, 40, [1, 2], opts);
    p.markReady(1);
    p.markReady(2);
    const first = p.pump(0);
    const fill = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    for (const r of first.filter((r) => r.to === 1)) p.handleReply(1, r.reqId, r.from, fill(r.from, r.end));
    expect(p.takeContiguous().entries).toEqual(fill(0, 20));
    const moved = p.tick(5);
    expect(moved).toMatchObject([{ kind: 'reassigned', failed: 2, reason: 'Timeout' }]);
    for (const r of p.pump(5)) p.handleReply(r.to, r.reqId, r.from, fill(r.from, r.end));
    expect(p.takeContiguous().entries).toEqual(fill(20, 40));
    expect(p.isComplete()).toBe(true);
  });
});

describe('Router bandwidth limit', () => {
  it('queues messages behind a per-link byte budget and delivers them on ticks', async () => {
    const r = new Router<string>();
    const got: number[] = [];
    r.register(2, { deliver: () => got.push(1) });
    r.setBandwidth(1, 2, 100);
    for (let i = 0; i < 4; i++) r.send(hb(1, 2)); // ~60 estimated bytes each
    await Promise.resolve();
    expect(got).toHaveLength(0);
    r.tick();
    expect(got).toHaveLength(1);
    r.tick();
    r.tick();
    expect(got.length).toBeGreaterThanOrEqual(3);
    r.tick();
    r.tick();
    expect(got).toHaveLength(4);
    expect(r.bytesSent(1)).toBeGreaterThan(0);
  });
});
