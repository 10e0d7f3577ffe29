import type { Message } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { Router, type WireMessage } from '../src/index.js';

const hb = (from: number, to: number): Message<string> => ({ kind: 'BLE', from, to, msg: { type: 'HeartbeatRequest', round: 1 } });
const flush = () => new Promise<void>((r) => queueMicrotask(r));

describe('Router', () => {
  it('delivers copies, never the sent object', async () => {
    const r = new Router<string>();
    const got: WireMessage<string>[] = [];
    r.register(2, { deliver: (m) => got.push(m) });
    const m = hb(1, 2);
    r.send(m);
    await flush();
    expect(got).toEqual([m]);
    expect(got[0]).not.toBe(m);
  });

  it('drops on a cut link and reports reconnection on heal', async () => {
    const r = new Router<string>();
    const got: WireMessage<string>[] = [];
    const reconnected: number[] = [];
    r.register(2, { deliver: (m) => got.push(m), reconnected: (p) => reconnected.push(p) });
    r.cut(1, 2);
    r.send(hb(1, 2));
    await flush();
    expect(got).toHaveLength(0);
    r.heal(1, 2);
    expect(reconnected).toEqual([1]);
    r.send(hb(1, 2));
    await flush();
    expect(got).toHaveLength(1);
  });

  it('delays by ticks and drops with a seeded, replayable probability', async () => {
    const r = new Router<string>();
    const got: WireMessage<string>[] = [];
    r.register(2, { deliver: (m) => got.push(m) });
    r.setDelay(1, 2, 2);
    r.send(hb(1, 2));
    await flush();
    r.tick();
    expect(got).toHaveLength(0);
    r.tick();
    expect(got).toHaveLength(1);
    const runs = [5, 5].map((seed) => {
      const rr = new Router<string>({ seed });
      rr.setDropProbability(1, 2, 0.5);
      for (let i = 0; i < 100; i++) rr.send(hb(1, 2));
      return rr.stats.dropped;
    });
    expect(runs[0]).toBe(runs[1]);
    expect(runs[0]).toBeGreaterThan(20);
    expect(runs[0]).toBeLessThan(80);
  });
});
