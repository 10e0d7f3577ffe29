import type { NodeId } from '@omnipaxos/core';

/**
 * LinkState is the state of the connection to one peer: `connecting` while a dial or handshake is in
 * flight, `connected` once the handshake succeeded, `disconnected` while waiting (to redial, or for
 * the peer to dial us), `disabled` while cut by `setLinkEnabled(peer, false)`, `closed` after close().
 */
export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'disabled' | 'closed';

/** PeerAddress is where a node listens. */
export interface PeerAddress {
  host: string;
  port: number;
}

/** PeerLinkStats are one peer's counters, for a status endpoint. Frame counts are messages. */
export interface PeerLinkStats {
  pid: NodeId;
  address: PeerAddress;
  state: LinkState;
  /** True when we dial this peer (our pid is the lower one); false when it dials us. */
  dialer: boolean;
  /** Messages handed to the socket. */
  sent: number;
  /** Bytes of those messages, frame headers included. */
  bytesSent: number;
  /** Valid messages received from this peer. */
  received: number;
  /** Messages dropped on the way out: queue full, link cut, or too large to send. */
  dropped: number;
  /** Of `dropped`: messages whose frame would exceed maxFrameBytes (each one logged as an error). */
  oversize: number;
  /** Of `dropped`: messages that could not be encoded. */
  encodeErrors: number;
  /** Messages waiting in the send queue, and their bytes. */
  queued: number;
  queuedBytes: number;
  /** Bytes the socket holds that the kernel has not taken yet. */
  bufferedBytes: number;
  /** Handshakes completed with this peer; every one after the first called `reconnected`. */
  connects: number;
  /** The configuration id the peer announced in its last handshake (null if it sent none). */
  peerConfigurationId: number | null;
  /** Why the last connection to this peer closed. */
  lastCloseReason: string | null;
}

/** TransportStats describe a whole transport, for a status endpoint. */
export interface TransportStats {
  pid: NodeId;
  clusterId: string;
  configurationId: number | null;
  /** The bound listen address, once started. */
  listening: PeerAddress | null;
  /** Inbound connections refused (TLS failure, bad handshake) or closed for bad input. */
  rejectedConnections: number;
  /** Why the last connection was refused or closed for bad input. */
  lastRejection: string | null;
  /** Frames read and decoded off any socket (valid or not), and bytes read. */
  framesIn: number;
  bytesIn: number;
  /** Incoming frames that could not be framed or decoded, or were not valid messages (each closed its connection). */
  decodeErrors: number;
  /** Outgoing messages too large for one frame, summed over the peers (see PeerLinkStats.oversize). */
  oversize: number;
  /** Outgoing messages dropped for any reason, summed over the peers. */
  dropped: number;
  /** Incoming messages dropped because no endpoint was registered. */
  undeliverable: number;
  /** Outgoing messages to a pid that is not a configured peer, or not from our pid. */
  unroutable: number;
  peers: PeerLinkStats[];
}

/**
 * SendFailure describes a message the transport refused to send, handed to `onSendFailure`
 * listeners: `oversize` (its frame would exceed maxFrameBytes) or `encode` (it could not be encoded).
 */
export interface SendFailure {
  peer: NodeId;
  reason: 'oversize' | 'encode';
  /** The encoded size, for `oversize`. */
  bytes: number | null;
  /** The message's kind and type, e.g. `SequencePaxos/AcceptSync`. */
  what: string;
}
