import type { NodeId } from '@omnipaxos/core';
import { type ReplicaDeps, type ReplicaEmitted, type ReplicaRef, appendTo, crashReplica, replicaLogic } from '@omnipaxos/actors';
import { assign, enqueueActions, fromPromise, sendTo, setup } from 'xstate';
import { type OrderCommand, orderBook } from './orders.js';

export const NODES: NodeId[] = [1, 2, 3];

/** ServiceEvent is what the order service takes: orders from its users, and what its replicas tell it. */
export type ServiceEvent =
  | ReplicaEmitted<OrderCommand>
  | { type: 'order'; command: OrderCommand }
  | { type: 'crashLeader' };

/** ServiceContext is plain data (it is persisted): who leads, and how the clients did. */
export interface ServiceContext {
  leader: NodeId | undefined;
  clients: number;
  accepted: number;
  failed: number;
  restarts: number;
}

/**
 * orderService builds the service machine: three replica children (replicaLogic over OrderCommand,
 * live dependencies in `deps`), an `orderBook` projection fed by replica 1's decided entries, and one
 * `fromPromise` client per order that appends through `appendTo` at the current leader.
 */
export function orderService(deps: ReplicaDeps<OrderCommand>, tickMs: number) {
  return setup({
    types: {} as { context: ServiceContext; events: ServiceEvent },
    actors: {
      replica: replicaLogic<OrderCommand>(deps),
      book: orderBook,
      client: fromPromise<{ idx: number }, { replica: ReplicaRef<OrderCommand>; command: OrderCommand }>(({ input }) =>
        appendTo(input.replica, input.command),
      ),
    },
  }).createMachine({
    id: 'orders',
    context: { leader: undefined, clients: 0, accepted: 0, failed: 0, restarts: 0 },
    entry: enqueueActions(({ enqueue }) => {
      for (const pid of NODES) {
        enqueue.spawnChild('replica', { id: `replica-${pid}`, systemId: `replica-${pid}`, input: { pid, nodes: NODES, tickMs } });
      }
      enqueue.spawnChild('book', { id: 'book', systemId: 'book' });
    }),
    on: {
      order: {
        actions: enqueueActions(({ context, event, enqueue, self }) => {
          const replica = self.system.get(`replica-${context.leader ?? 1}`) as ReplicaRef<OrderCommand>;
          enqueue.spawnChild('client', { id: `client-${context.clients}`, input: { replica, command: event.command } });
          enqueue.assign({ clients: context.clients + 1 });
        }),
      },
      crashLeader: {
        actions: ({ context, self }) => {
          const ref = self.system.get(`replica-${context.leader ?? 1}`) as ReplicaRef<OrderCommand> | undefined;
          if (ref) crashReplica(ref, 'paxos', new Error('simulated disk failure'));
        },
      },
      'omnipaxos.leaderChanged': {
        guard: ({ event }) => event.pid === 1 && event.leader !== undefined,
        actions: assign({ leader: ({ event }) => event.leader }),
      },
      'omnipaxos.delivered': {
        guard: ({ event }) => event.pid === 1,
        actions: sendTo('book', ({ event }) => ({ type: 'apply' as const, items: event.items })),
      },
      'omnipaxos.restarted': { actions: assign({ restarts: ({ context }) => context.restarts + 1 }) },
      // A client's promise settled: xstate reports it as done or error (the replicas never end here).
      '*': {
        actions: assign(({ context, event }) => {
          const type: string = event.type;
          if (type.startsWith('xstate.done.actor.client-')) return { accepted: context.accepted + 1 };
          if (type.startsWith('xstate.error.actor.client-')) return { failed: context.failed + 1 };
          return {};
        }),
      },
    },
  });
}
