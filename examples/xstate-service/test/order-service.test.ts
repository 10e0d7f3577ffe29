import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { type ReplicaRef, type ReplicaStorage, type ReplicatedEntry, Router } from '@omnipaxos/actors';
import { describe, expect, it } from 'vitest';
import { type InspectionEvent, SimulatedClock, createActor } from 'xstate';
import { summarizeInspection } from '../src/inspection.js';
import { NODES, orderService } from '../src/order-service.js';
import type { OrderBook, OrderCommand } from '../src/orders.js';

const TICK_MS = 10;

describe('xstate order service', () => {
  it('keeps one order book through a supervised crash and a persist / stop / restore round trip', async () => {
    const clock = new SimulatedClock();
    const router = new Router<ReplicatedEntry<OrderCommand>>({ seed: 3, clock, tickMs: TICK_MS });
    const disks = new Map<string, ReplicaStorage<OrderCommand>>();
    const storage = (pid: NodeId, cfg: number): ReplicaStorage<OrderCommand> => {
      const key = `${pid}/${cfg}`;
      let d = disks.get(key);
      if (!d) disks.set(key, (d = new MemoryStorage<ReplicatedEntry<OrderCommand>>()));
      return d;
    };
    const machine = orderService({ transport: router, storage }, TICK_MS);
    type Service = ReturnType<typeof createActor<typeof machine>>;
    const book = (s: Service): OrderBook => (s.system.get('book') as { getSnapshot(): { context: OrderBook } }).getSnapshot().context;
    const until = async (what: string, cond: () => boolean): Promise<void> => {
      for (let i = 0; !cond(); i++) {
        if (i > 2000) throw new Error(`${what} did not hold within 2000 ticks`);
        clock.increment(TICK_MS);
        await new Promise((r) => setImmediate(r));
      }
    };
    const inspection: InspectionEvent[] = [];
    const svc = createActor(machine, { clock, inspect: (e) => inspection.push(e) }).start();
    await until('a leader', () => svc.getSnapshot().context.leader !== undefined);
    for (const [id, item] of [['o1', 'tea'], ['o2', 'cake'], ['o3', 'jam']] as const) svc.send({ type: 'order', command: { kind: 'place', id, item, qty: 1 } });
    await until('three orders', () => book(svc).next === 3);
    svc.send({ type: 'crashLeader' });
    await until('a restart', () => svc.getSnapshot().context.restarts === 1);
    svc.send({ type: 'order', command: { kind: 'cancel', id: 'o2' } });
    await until('the cancel', () => book(svc).next === 4);

    const json = JSON.stringify(svc.getPersistedSnapshot());
    expect(json.length).toBeLessThan(4 * 1024);
    const before = book(svc);
    svc.stop();

    const restored = createActor(machine, { clock, snapshot: JSON.parse(json) }).start();
    expect(book(restored)).toEqual(before);
    await until('a leader after restore', () => NODES.every((p) => (restored.system.get(`replica-${p}`) as ReplicaRef<OrderCommand>).getSnapshot().context.leader !== undefined));
    restored.send({ type: 'order', command: { kind: 'place', id: 'o4', item: 'honey', qty: 2 } });
    await until('the order after restore', () => book(restored).next === 5);
    expect(book(restored)).toEqual({
      open: { o1: { item: 'tea', qty: 1 }, o3: { item: 'jam', qty: 1 }, o4: { item: 'honey', qty: 2 } },
      cancelled: ['o2'],
      next: 5,
    });
    await until('every replica delivered five', () =>
      NODES.every((p) => (restored.system.get(`replica-${p}`) as ReplicaRef<OrderCommand>).getSnapshot().context.delivered === 5),
    );
    expect(restored.getSnapshot().context.failed).toBe(0);
    expect(summarizeInspection(inspection)[0]).toMatch(/^\d+ inspection events; \d+ events sent from outside/);
    restored.stop();
    await router.close();
  });
});
