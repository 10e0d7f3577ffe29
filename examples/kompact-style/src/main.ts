/**
 * The Kompact usage on xstate: a service actor spawns one replica supervisor per node (as a Kompact
 * system creates its PaxosComp components), proposes entries, consumes decided entries, and survives a
 * crash of the leader's Paxos actor through a supervised restart from storage.
 */
import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { type DecidedItem, type ReplicatedEntry, Router, type SupervisorEmitted, crashReplica, replicaSupervisor } from '@omnipaxos/actors';
import { type AnyActorRef, assign, createActor, setup } from 'xstate';

const NODES: NodeId[] = [1, 2, 3];
const TICK_MS = 5;
const router = new Router<ReplicatedEntry<unknown>>({ seed: 42 });

type ServiceEvent = SupervisorEmitted<unknown> | { type: 'propose'; entry: string } | { type: 'crashLeader' };

const service = setup({
  actors: { replica: replicaSupervisor },
  types: {} as { context: { replicas: Map<NodeId, AnyActorRef>; leader: NodeId | undefined; seq: number }; events: ServiceEvent },
}).createMachine({
  id: 'service',
  context: ({ spawn }) => ({
    replicas: new Map(
      NODES.map((pid) => [
        pid,
        spawn('replica', {
          id: `replica-${pid}`,
          input: { pid, nodes: NODES, storage: new MemoryStorage<ReplicatedEntry<unknown>>(), transport: router, tickMs: TICK_MS },
        }),
      ]),
    ),
    leader: undefined,
    seq: 0,
  }),
  on: {
    propose: {
      actions: assign(({ context, event }) => {
        const pid = context.leader ?? 1;
        context.replicas.get(pid)?.send({ type: 'omnipaxos.append', requests: [{ rid: `req-${context.seq}`, entry: event.entry }] });
        console.log(`service: proposed ${JSON.stringify(event.entry)} at node ${pid}`);
        return { seq: context.seq + 1 };
      }),
    },
    crashLeader: {
      actions: ({ context }) => {
        if (context.leader === undefined) return;
        console.log(`service: crashing the Paxos actor of leader ${context.leader}`);
        const ref = context.replicas.get(context.leader);
        if (ref) crashReplica(ref, 'paxos', new Error('simulated disk failure'));
      },
    },
    'omnipaxos.leaderChanged': {
      actions: assign(({ context, event }) => {
        if (event.pid === 1) console.log(`node 1: leader is now ${event.leader ?? 'unknown'}`);
        return { leader: event.leader ?? context.leader };
      }),
    },
    'omnipaxos.delivered': {
      actions: ({ event }) => {
        if (event.pid !== 1) return;
        for (const item of event.items as DecidedItem<string>[]) console.log(`node 1: decided #${item.idx} ${JSON.stringify(item.entry)}`);
      },
    },
    'omnipaxos.restarted': {
      actions: ({ event }) => console.log(`node ${event.pid}: supervisor restarted its pair (restart ${event.restarts}) after: ${String(event.error)}`),
    },
    // A spent restart budget fails the replica actor: its parent gets xstate.error.actor.<id>.
    'xstate.error.actor.*': { actions: ({ event }: { event: { type: string; error?: unknown } }) => console.log(`${event.type}: ${String(event.error)}`) },
  },
});

const actor = createActor(service).start();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitForLeader = async () => {
  while (actor.getSnapshot().context.leader === undefined) await wait(TICK_MS);
};

await waitForLeader();
for (const entry of ['put a=1', 'put b=2', 'put c=3']) actor.send({ type: 'propose', entry });
await wait(200);
actor.send({ type: 'crashLeader' });
await wait(50);
for (const entry of ['put d=4', 'put e=5']) actor.send({ type: 'propose', entry });
await wait(1000);
actor.stop();
await router.close();
console.log('service: done');
