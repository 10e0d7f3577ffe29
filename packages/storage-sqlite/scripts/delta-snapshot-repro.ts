/**
 * delta-snapshot-repro shows a core bug found by the kill -9 snapshot test: a duplicated Promise
 * carries a follower's older decided index; the leader answers it with an AcceptSync whose Delta
 * snapshot starts there, and the follower merges that Delta onto its newer decided prefix, so its
 * snapshot holds entries twice. Run: npx tsx --conditions=source packages/storage-sqlite/scripts/delta-snapshot-repro.ts
 */
import { type Message, MemoryStorage, OmniPaxos, type SnapshotLogic } from '@omnipaxos/core';

type M = Message<number, number[]>;
const logic: SnapshotLogic<number, number[]> = { create: (es) => es.slice(), merge: (a, b) => a.concat(b) };
const nodes = [1, 2, 3];
const r = new Map(nodes.map((pid) => [pid, new OmniPaxos<number, number[]>(
  { clusterConfig: { configurationId: 1, nodes }, serverConfig: { pid } }, new MemoryStorage<number, number[]>(), { snapshot: logic })]));
const get = (pid: number): OmniPaxos<number, number[]> => r.get(pid) as OmniPaxos<number, number[]>;
let captured: M | undefined;
function deliverAll(capture = false): void {
  for (let round = 0; round < 100; round++) {
    const msgs = nodes.flatMap((pid) => get(pid).takeOutgoingMessages());
    if (msgs.length === 0) return;
    for (const m of msgs) {
      if (capture && !captured && m.kind === 'SequencePaxos' && m.msg.type === 'Promise' && m.from === 2) captured = structuredClone(m);
      get(m.to).handleIncoming(m);
    }
  }
}
for (let t = 0; t < 200 && !get(1).getCurrentLeader()?.accepted; t++) { for (const pid of nodes) get(pid).tick(); deliverAll(); }
for (let i = 0; i < 5; i++) get(1).append(100 + i);
deliverAll();
get(1).tryBecomeLeader(); // new ballot: followers promise with decided index 5
deliverAll(true);
for (let i = 0; i < 5; i++) get(1).append(200 + i);
deliverAll(); // follower 2 now decided 10
console.log('leader', get(1).getCurrentLeader(), 'follower 2 decided', get(2).getDecidedIdx(), 'captured promise decided', captured && captured.kind === 'SequencePaxos' && captured.msg.type === 'Promise' ? captured.msg.decidedIdx : '-');
if (captured) get(captured.to).handleIncoming(captured); // the duplicate arrives late
deliverAll();
const f = get(2);
const first = f.read(0);
console.log('follower 2: compacted', f.getCompactedIdx(), 'decided', f.getDecidedIdx(), 'read(0)', JSON.stringify(first));
