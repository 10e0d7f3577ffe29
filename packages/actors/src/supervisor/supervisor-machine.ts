import { type AnyActorRef, assign, enqueueActions, raise, setup } from 'xstate';
import { electionActorLogic } from '../children/election-actor.js';
import { ReplicaError, type ReplicaErrorCode, SupervisionError } from '../errors.js';
import type { SupervisorEmitted, SupervisorEvent } from '../events.js';
import { paxosActorLogic } from '../children/paxos-actor.js';
import { type Plan, type SupervisorInput, SupervisorRuntime } from './supervisor-runtime.js';

/** SupervisorContext is the supervisor's xstate context: its runtime and the refs of its current children. */
export interface SupervisorContext {
  rt: SupervisorRuntime<unknown>;
  paxosRef: AnyActorRef | undefined;
  electionRef: AnyActorRef | undefined;
}

/** SupervisorOutput is the supervisor's output once it is final: the escalated error, if that is why. */
export interface SupervisorOutput {
  error?: Error;
}

const paxosLogic = paxosActorLogic<unknown>();
const electionLogic = electionActorLogic<unknown>();
const TICK_ID = 'omnipaxos.tick';

function childIncarnation(eventType: string): number {
  const id = eventType.slice('xstate.error.actor.'.length);
  return Number(id.slice(id.lastIndexOf('-') + 1));
}

/**
 * replicaSupervisor is one node's reconfiguration supervisor (Kompact's PaxosComp): it owns the
 * election + Paxos pair of the current configuration, routes client proposals, restarts a failed pair
 * from storage within its restart budget, escalates when the budget is spent, and hands over to the
 * next configuration on a decided stop sign. Spawn it in your own machine, or use `createReplica`.
 */
export const replicaSupervisor = setup({
  types: {} as {
    context: SupervisorContext;
    events: SupervisorEvent<unknown>;
    input: SupervisorInput<unknown>;
    emitted: SupervisorEmitted<unknown>;
    output: SupervisorOutput;
  },
  actors: { paxos: paxosLogic, election: electionLogic },
  delays: { tick: ({ context }) => context.rt.input.tickMs ?? 10 },
  actions: {
    scheduleTick: raise({ type: 'omnipaxos.tick' }, { delay: 'tick', id: TICK_ID }),
    handleReport: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type === 'omnipaxos.leader' || event.type === 'omnipaxos.status' || event.type === 'omnipaxos.rejected' || event.type === 'omnipaxos.decided') {
        apply(enqueue, self, context.rt.handleReport(event));
      }
    }),
    spawnPair: assign(({ context, spawn, self }) => {
      const rt = context.rt;
      const inc = rt.incarnation;
      const common = {
        pid: rt.pid,
        config: rt.config,
        server: rt.input.server ?? {},
        storage: rt.storage,
        transport: rt.input.transport,
        parent: self,
        incarnation: inc,
      };
      const electionRef = spawn('election', { id: `election-${inc}`, input: common });
      const paxosRef = spawn('paxos', { id: `paxos-${inc}`, input: { ...common, reportFrom: rt.localDelivered } });
      rt.link.election = electionRef;
      rt.link.paxos = paxosRef;
      return { paxosRef, electionRef };
    }),
    stopPair: enqueueActions(({ context, enqueue }) => {
      if (context.paxosRef) enqueue.stopChild(context.paxosRef);
      if (context.electionRef) enqueue.stopChild(context.electionRef);
      enqueue.assign({ paxosRef: undefined, electionRef: undefined });
    }),
    closeLink: ({ context }) => context.rt.link.close(),
    attachMigration: ({ context, self }) => {
      context.rt.link.onMigration = (message) => self.send({ type: 'omnipaxos.migrationMessage', message });
    },
  },
  guards: {
    isEscalated: ({ context }) => context.rt.escalated,
    isRetired: ({ context }) => context.rt.retired,
    isRunning: ({ context }) => context.rt.mode === 'running',
    isMigrating: ({ context }) => context.rt.mode === 'migrating',
    isHandingOver: ({ context }) => context.rt.mode === 'handover',
  },
}).createMachine({
  id: 'omnipaxos.supervisor',
  context: ({ input }) => ({ rt: new SupervisorRuntime<unknown>(input), paxosRef: undefined, electionRef: undefined }),
  entry: [
    'attachMigration',
    enqueueActions(({ context, enqueue, self }) => apply(enqueue, self, context.rt.startupPlan())),
    enqueueActions(({ context, enqueue }) => context.rt.shouldRun() && enqueue('spawnPair')),
    'scheduleTick',
  ],
  initial: 'running',
  // Every lifecycle state takes the same events; the runtime's mode decides what they mean there.
  on: {
    'omnipaxos.tick': { actions: [enqueueActions(({ context, enqueue, self }) => apply(enqueue, self, context.rt.handleTick())), 'scheduleTick'] },
    'omnipaxos.append': { actions: enqueueActions(({ context, event, enqueue, self }) => apply(enqueue, self, context.rt.handleAppend(event.requests))) },
    'omnipaxos.leader': { actions: 'handleReport' },
    'omnipaxos.status': { actions: 'handleReport' },
    'omnipaxos.rejected': { actions: 'handleReport' },
    'omnipaxos.decided': { actions: 'handleReport' },
    'omnipaxos.migrationMessage': {
      actions: enqueueActions(({ context, event, enqueue, self }) => apply(enqueue, self, context.rt.handleMigration(event.message))),
    },
    'omnipaxos.reconfigure': { actions: ({ context, event }) => context.rt.proposeReconfiguration(event.nextConfig, event.metadata) },
    'omnipaxos.compact': {
      actions: enqueueActions(({ context, event, enqueue, self }) => apply(enqueue, self, context.rt.compact(event.upToConfigurationId))),
    },
    'omnipaxos.crash': {
      actions: ({ context, event }) => {
        const link = context.rt.link;
        (event.child === 'paxos' ? link.paxos : link.election)?.send({ type: 'omnipaxos.crash', error: event.error });
      },
    },
    'omnipaxos.respawn': { guard: 'isRunning', actions: ['stopPair', 'spawnPair'] },
    'omnipaxos.stop': { target: '.stopped' },
    'xstate.error.actor.*': {
      guard: ({ context, event }) => childIncarnation(event.type) === context.rt.incarnation,
      actions: [
        enqueueActions(({ context, event, enqueue, self }) => {
          apply(enqueue, self, { emits: context.rt.handleChildFailure(event.error).emits });
        }),
        'stopPair',
      ],
    },
  },
  states: {
    running: {
      always: [
        { guard: 'isEscalated', target: 'escalated' },
        { guard: 'isMigrating', target: 'migrating' },
        { guard: 'isHandingOver', target: 'handover' },
      ],
    },
    /** Pulling the history prefix (joining, or a missed stop sign): no pair runs. */
    migrating: {
      entry: 'stopPair',
      always: [
        { guard: 'isEscalated', target: 'escalated' },
        { guard: 'isRunning', target: 'running' },
        { guard: 'isHandingOver', target: 'handover' },
      ],
    },
    /** Removed by a decided stop sign: serving segments until the next configuration has the history. */
    handover: {
      entry: 'stopPair',
      always: [
        { guard: 'isRetired', target: 'retired' },
        { guard: 'isMigrating', target: 'migrating' },
      ],
    },
    escalated: {
      type: 'final',
      entry: [
        'stopPair',
        enqueueActions(({ context, enqueue, self }) => {
          const rt = context.rt;
          const error = new SupervisionError(rt.pid, rt.restarts.length, { cause: rt.lastError });
          apply(enqueue, self, { emits: [...rejectAll(context, 'Escalated'), { type: 'omnipaxos.escalated', pid: rt.pid, error }] });
        }),
        'closeLink',
      ],
    },
    retired: {
      type: 'final',
      entry: ['stopPair', enqueueActions(({ context, enqueue, self }) => apply(enqueue, self, { emits: rejectAll(context, 'StopSign') })), 'closeLink'],
    },
    stopped: {
      type: 'final',
      entry: ['stopPair', enqueueActions(({ context, enqueue, self }) => apply(enqueue, self, { emits: rejectAll(context, 'Shutdown') })), 'closeLink'],
    },
  },
  output: ({ context }) =>
    context.rt.escalated ? { error: new SupervisionError(context.rt.pid, context.rt.restarts.length, { cause: context.rt.lastError }) } : {},
});

function rejectAll(context: SupervisorContext, code: ReplicaErrorCode): SupervisorEmitted<unknown>[] {
  const rids = context.rt.book.removeAll();
  return rids.length > 0 ? [{ type: 'omnipaxos.failed', pid: context.rt.pid, rids, code }] : [];
}

/** Enqueue is the part of xstate's action enqueuer that carrying out a Plan needs. */
interface Enqueue {
  emit(event: SupervisorEmitted<unknown>): void;
  sendParent(event: SupervisorEmitted<unknown>): void;
  raise(event: { type: 'omnipaxos.respawn' }): void;
}

function apply(enqueue: Enqueue, self: AnyActorRef, plan: Plan<unknown>): void {
  for (const e of plan.emits) {
    enqueue.emit(e);
    if (self._parent) enqueue.sendParent(e);
  }
  if (plan.respawn) enqueue.raise({ type: 'omnipaxos.respawn' });
}

/** ReplicaErrorFor builds the error a client promise rejects with for a failed request. */
export function replicaErrorFor(code: ReplicaErrorCode, rid: string, cause?: unknown): ReplicaError {
  return new ReplicaError(code, rid, cause === undefined ? undefined : { cause });
}
