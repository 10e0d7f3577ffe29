/**
 * An order service written the xstate way: three OmniPaxos replicas are children of the service
 * machine (replicaLogic), an order-book projection is fed by decided entries, each order is a
 * fromPromise client using appendTo. It survives a crash of the leader's Paxos component (a supervised
 * restart from storage), persists itself as JSON, and is restored from that JSON plus its storages.
 */
import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { type ReplicaDeps, type ReplicaRef, type ReplicaStorage, type ReplicatedEntry, Router } from '@omnipaxos/actors';
import { type InspectionEvent, createActor } from 'xstate';
import { NODES, orderService } from './order-service.js';
import type { OrderBook, OrderCommand } from './orders.js';
import { summarizeInspection } from './inspection.js';

const TICK_MS = 5;
const router = new Router<ReplicatedEntry<OrderCommand>>({ seed: 7 });
const disks = new Map<string, ReplicaStorage<OrderCommand>>(); // what survives a process restart
const deps: ReplicaDeps<OrderCommand> = {
  transport: router,
  storage: (pid, configurationId) => {
    const key = `${pid}/${configurationId}`;
    let disk = disks.get(key);
    if (!disk) disks.set(key, (disk = new MemoryStorage<ReplicatedEntry<OrderCommand>>()));
    return disk;
  },
};
const machine = orderService(deps, TICK_MS);
const inspection: InspectionEvent[] = [];

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let waited = 0; !cond(); waited += TICK_MS) {
    if (waited > 10_000) throw new Error(`${what}: not within 10 s`);
    await wait(TICK_MS);
  }
}

type Service = ReturnType<typeof createActor<typeof machine>>;
const book = (svc: Service): OrderBook => (svc.system.get('book') as { getSnapshot(): { context: OrderBook } }).getSnapshot().context;
const replica = (svc: Service, pid: NodeId) => svc.system.get(`replica-${pid}`) as ReplicaRef<OrderCommand>;
const place = (svc: Service, id: string, item: string, qty: number) => svc.send({ type: 'order', command: { kind: 'place', id, item, qty } });

const svc = createActor(machine, { id: 'service', inspect: (e) => inspection.push(e) }).start();
await until('a leader', () => svc.getSnapshot().context.leader !== undefined);
console.log(`leader: replica ${svc.getSnapshot().context.leader}`);
place(svc, 'o1', 'tea', 2);
place(svc, 'o2', 'cake', 1);
place(svc, 'o3', 'scones', 6);
svc.send({ type: 'order', command: { kind: 'cancel', id: 'o2' } });
await until('four orders applied', () => book(svc).next === 4);
console.log('book after 4 entries:', JSON.stringify(book(svc)));

const crashed = svc.getSnapshot().context.leader as NodeId;
svc.send({ type: 'crashLeader' });
await until('a supervised restart', () => svc.getSnapshot().context.restarts > 0);
console.log(`replica ${crashed}: Paxos crashed, restarted from storage (restarts in window: ${replica(svc, crashed).getSnapshot().context.restarts})`);
place(svc, 'o4', 'jam', 3);
await until('the order after the crash applied', () => book(svc).next === 5);

const json = JSON.stringify(svc.getPersistedSnapshot());
console.log(`persisted service snapshot: ${(json.length / 1024).toFixed(1)} KiB of JSON (3 replicas, the book, the context; no storage inside)`);
const before = book(svc);
svc.stop();

const restored = createActor(machine, { id: 'service', snapshot: JSON.parse(json), inspect: (e) => inspection.push(e) }).start();
console.log('restored: book', JSON.stringify(book(restored)) === JSON.stringify(before) ? 'identical' : 'DIFFERENT');
await until('a leader after restore', () => NODES.every((p) => replica(restored, p).getSnapshot().context.leader !== undefined));
place(restored, 'o5', 'honey', 1);
await until('the order after restore applied', () => book(restored).next === 6);
console.log('book after restore + 1 entry:', JSON.stringify(book(restored)));
console.log('replica 1 snapshot:', JSON.stringify(replica(restored, 1).getSnapshot().context));
console.log(`clients: ${restored.getSnapshot().context.accepted} accepted, ${restored.getSnapshot().context.failed} failed (after restore)`);
restored.stop();
await router.close();

console.log('inspection:');
for (const line of summarizeInspection(inspection)) console.log(`  ${line}`);
