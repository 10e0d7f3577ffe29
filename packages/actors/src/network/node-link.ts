import type { NodeId } from '@omnipaxos/core';
import type { ElectionActorEvent, PaxosActorEvent } from '../events.js';
import type { MigrationMessage, WireMessage } from '../reconfiguration/migration-messages.js';
import type { ReplicatedEntry } from '../replica/replicated-entry.js';
import type { Transport } from './transport.js';

/** ChildRef is the part of an actor ref the link needs: somewhere to send events. */
export interface ChildRef<E> {
  send(event: E): void;
}

/**
 * NodeLink is one node's attachment to the transport: it hands each incoming message straight to the
 * current child (BLE heartbeats to the election actor, the rest to the Paxos actor), so the hot path
 * does not pass through the supervisor's statechart. The supervisor points it at each new child;
 * while a child is down its messages are dropped (the protocol resends).
 */
export class NodeLink<T> {
  /** The Paxos actor of the current configuration, if it is running. */
  paxos: ChildRef<PaxosActorEvent<T>> | undefined;
  /** The election actor of the current configuration, if it is running. */
  election: ChildRef<ElectionActorEvent> | undefined;
  /** Where reconfiguration handover messages go (the supervisor); dropped while unset. */
  onMigration: ((message: MigrationMessage<ReplicatedEntry<T>>) => void) | undefined;
  private readonly detach: () => void;

  constructor(pid: NodeId, transport: Transport<ReplicatedEntry<T>>) {
    this.detach = transport.register(pid, {
      deliver: (message) => this.deliver(message),
      reconnected: (peer) => this.paxos?.send({ type: 'omnipaxos.reconnected', peer }),
    });
  }

  /** close detaches the node from the transport. */
  close(): void {
    this.paxos = undefined;
    this.election = undefined;
    this.onMigration = undefined;
    this.detach();
  }

  private deliver(message: WireMessage<ReplicatedEntry<T>>): void {
    if (message.kind === 'Migration') this.onMigration?.(message);
    else if (message.kind === 'BLE') this.election?.send({ type: 'omnipaxos.message', message });
    else this.paxos?.send({ type: 'omnipaxos.message', message });
  }
}
