import type { NodeId } from '@omnipaxos/core';
import type { WireMessage } from '../reconfiguration/migration-messages.js';

/** TransportEndpoint is what a node registers with a transport: where its messages are delivered. */
export interface TransportEndpoint<T, S = never> {
  /** deliver hands the node a message addressed to it. */
  deliver(message: WireMessage<T, S>): void;
  /** reconnected is called when the link to `peer` came back after being down. */
  reconnected?(peer: NodeId): void;
}

/**
 * Transport carries replica messages (core `Message`s and the actors' `MigrationMessage`s, together
 * `WireMessage`) between nodes: the in-process Router for tests and demos,
 * `@omnipaxos/transport-tcp` across processes. Delivery is best-effort (messages may be lost, the
 * protocol resends), but a transport never delivers a message to a node other than `message.to`
 * and never hands two nodes the same mutable object.
 */
export interface Transport<T, S = never> {
  /** register attaches node `pid`; returns a function that detaches it. */
  register(pid: NodeId, endpoint: TransportEndpoint<T, S>): () => void;
  /** send queues `message` for `message.to`; it never throws for an unreachable peer. */
  send(message: WireMessage<T, S>): void;
  /** close releases the transport's resources. */
  close?(): Promise<void>;
}
