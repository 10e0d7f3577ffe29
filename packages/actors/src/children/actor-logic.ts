import { ConfigError } from '@omnipaxos/core';
import type { ActorLogic, ActorScope, ActorSystem, EventObject, Snapshot } from 'xstate';

/** DriverSnapshot is the snapshot of a driver-backed actor: the driver object is its context. */
export type DriverSnapshot<D> = Snapshot<undefined> & { context: D };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- xstate's own AnyActorSystem is ActorSystem<any>
type System = ActorSystem<any>;

/** Driver is what a hot-path actor delegates to: built per spawn, started once, then fed events. */
export interface Driver<E> {
  start(crash: (error: unknown) => void): void;
  handle(event: E): void;
}

/**
 * driverLogic builds a custom xstate ActorLogic around a mutable driver object: no statechart and no
 * copying per event, which keeps the replica's hot path cheap. A throw from the driver fails the
 * actor, so its parent gets `xstate.error.actor.<id>` and can supervise it. The driver's asynchronous
 * failures (a rejected flush) come back as a crash event and fail the actor the same way.
 */
export function driverLogic<D extends Driver<E>, E extends EventObject, I>(
  create: (input: I) => D,
): ActorLogic<DriverSnapshot<D>, E, I, System, EventObject> {
  return {
    getInitialSnapshot: (_scope: ActorScope<DriverSnapshot<D>, E>, input: I) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      context: create(input),
    }),
    start: (snapshot, scope) => {
      const self = scope.self;
      snapshot.context.start((error) => self.send({ type: 'omnipaxos.crash', error } as unknown as E));
    },
    transition: (snapshot, event) => {
      snapshot.context.handle(event);
      return snapshot;
    },
    // The driver holds live objects (the core, the storage): the persisted form is only the status.
    // A restored replica is rebuilt from its Storage, which is where its durable state lives.
    getPersistedSnapshot: (snapshot) => ({ status: snapshot.status, output: undefined, error: undefined }),
    restoreSnapshot: () => {
      throw new ConfigError('a standalone Paxos or election actor holds live objects and cannot be restored: persist replicas made with replicaLogic(deps)');
    },
  };
}
