import type { NodeId } from '@omnipaxos/core';
import { type ActorRef, type CallbackActorLogic, type EventObject, type Snapshot, fromCallback } from 'xstate';
import type { WireMessage } from '../reconfiguration/migration-messages.js';
import type { Transport, TransportEndpoint } from './transport.js';

/**
 * TransportCommand is what a transport actor takes: send a message, attach a node's endpoint (whose
 * `deliver` the actor calls with each message for that node), detach it.
 */
export type TransportCommand<T> =
  | { type: 'omnipaxos.transport.send'; message: WireMessage<T> }
  | { type: 'omnipaxos.transport.register'; pid: NodeId; endpoint: TransportEndpoint<T> }
  | { type: 'omnipaxos.transport.unregister'; pid: NodeId };

/** TransportRef is an actor that carries replica messages: what `transportFromActor` adapts. */
export type TransportRef<T> = ActorRef<Snapshot<unknown>, TransportCommand<T>, EventObject>;

/**
 * transportFromActor adapts an actor that takes TransportCommands (your network as an xstate actor)
 * into the Transport a replica logic needs. Sends to a stopped actor are dropped (the protocol
 * resends; a replica's messages are best-effort).
 */
export function transportFromActor<T>(ref: TransportRef<T>): Transport<T> {
  const live = (): boolean => ref.getSnapshot().status === 'active';
  return {
    register(pid, endpoint) {
      if (live()) ref.send({ type: 'omnipaxos.transport.register', pid, endpoint });
      return () => {
        if (live()) ref.send({ type: 'omnipaxos.transport.unregister', pid });
      };
    },
    send(message) {
      if (live()) ref.send({ type: 'omnipaxos.transport.send', message });
    },
  };
}

/**
 * transportActor is the other way: an actor logic around a Transport object (the in-process Router,
 * a TcpTransport), so it can be spawned, supervised and stopped in your system. On stop it detaches
 * every endpoint registered through it and, with `closeOnStop`, closes the transport.
 */
export function transportActor<T>(transport: Transport<T>, options: { closeOnStop?: boolean } = {}): CallbackActorLogic<TransportCommand<T>> {
  return fromCallback<TransportCommand<T>>(({ receive }) => {
    const detach = new Map<NodeId, () => void>();
    receive((event) => {
      switch (event.type) {
        case 'omnipaxos.transport.send':
          transport.send(event.message);
          break;
        case 'omnipaxos.transport.register':
          detach.get(event.pid)?.();
          detach.set(event.pid, transport.register(event.pid, event.endpoint));
          break;
        case 'omnipaxos.transport.unregister':
          detach.get(event.pid)?.();
          detach.delete(event.pid);
          break;
      }
    });
    return () => {
      for (const d of detach.values()) d();
      detach.clear();
      if (options.closeOnStop) transport.close?.().catch(() => undefined);
    };
  });
}
