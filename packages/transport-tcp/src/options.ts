import type { Logger, NodeId } from '@omnipaxos/core';
import type { Transport } from '@omnipaxos/actors';
import type { BackoffOptions, RandomSource } from './backoff.js';
import type { PeerAddress } from './link-stats.js';

/**
 * TcpTlsOptions turn on mutual TLS: every node presents a certificate signed by the cluster CA and
 * accepts only peers whose certificate chains to that CA (`rejectUnauthorized`, client certificates
 * required). PEM strings or buffers.
 */
export interface TcpTlsOptions {
  /** The cluster CA certificate(s) that peer certificates must chain to. */
  ca: string | Buffer | Array<string | Buffer>;
  /** This node's certificate, signed by the cluster CA. */
  cert: string | Buffer;
  /** This node's private key. */
  key: string | Buffer;
  /** Check that a dialed peer's certificate names the host dialed (default true). */
  verifyHostname?: boolean;
  /**
   * Require a peer's certificate to name the pid it claims in its Hello (default true): subject
   * `CN=replica-<pid>` or a URI subjectAltName `urn:omnipaxos:pid:<pid>`. A certificate naming no pid,
   * several, or another one is refused, so a member's key cannot impersonate another member.
   */
  bindPid?: boolean;
}

/**
 * Carried is the message type the transport carries: whatever the actors' `Transport.send` takes (the
 * core `Message`, plus any envelope kinds the actors add, e.g. reconfiguration handover messages).
 */
export type Carried<T, S> = Parameters<Transport<T, S>['send']>[0];

/**
 * KindValidators check message kinds beyond the core's `'SequencePaxos'` and `'BLE'`: kind → a
 * structural type guard for a whole envelope of that kind (e.g. `{ Migration: validateMigrationMessage }`).
 */
export type KindValidators = Readonly<Record<string, (x: unknown) => boolean>>;

/** TcpTransportOptions configure one node's TcpTransport. */
export interface TcpTransportOptions<T, S = never> {
  /** This node's pid; the only pid that may be registered and that outgoing messages may come from. */
  pid: NodeId;
  /** Every node of a cluster uses the same id; handshakes from another cluster are refused. */
  clusterId: string;
  /** Announced in handshakes and reported in stats (not enforced: configurations overlap in a reconfiguration). */
  configurationId?: number;
  /** Where to listen; port 0 picks a free port (see `start()`'s result). */
  listen: PeerAddress;
  /** Peer pid → address. May include this node's own pid, which is ignored. */
  peers: ReadonlyMap<NodeId, PeerAddress> | Readonly<Record<number, PeerAddress>>;
  /** Largest frame payload sent or accepted, in bytes (default 16 MiB). */
  maxFrameBytes?: number;
  /** Messages held per peer while the socket pushes back or the link is down (default 10,000). */
  maxQueue?: number;
  /** Mutual TLS; plain TCP when absent. */
  tls?: TcpTlsOptions;
  /** Diagnostics (refused handshakes, closed links, bad input); silent when absent. */
  logger?: Logger;
  /** An extra check on each structurally valid incoming message, e.g. of log entry shapes. */
  validate?: (message: Carried<T, S>) => boolean;
  /** Message kinds accepted besides the core's, with their structural checks; other kinds are refused. */
  extraKinds?: KindValidators;
  /** Reconnect delays. */
  backoff?: BackoffOptions;
  /** Source of jitter for the reconnect delays (default Math.random). */
  random?: RandomSource;
  /** Time a connection has to complete its handshake, in ms (default 5000). */
  handshakeTimeoutMs?: number;
}

/** DEFAULT_MAX_FRAME_BYTES is the default frame payload limit: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** DEFAULT_MAX_QUEUE is the default per-peer send queue bound. */
export const DEFAULT_MAX_QUEUE = 10_000;

function isPid(x: unknown): x is NodeId {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

function checkAddress(a: PeerAddress, what: string): PeerAddress {
  if (typeof a?.host !== 'string' || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new TypeError(`${what} must be { host: string, port: 0..65535 }`);
  }
  return { host: a.host, port: a.port };
}

/** peerEntries lists the configured peers (without `self`), checking pids and addresses. */
export function peerEntries(peers: TcpTransportOptions<unknown, unknown>['peers'], self: NodeId): [NodeId, PeerAddress][] {
  const raw: [unknown, PeerAddress][] =
    peers instanceof Map ? [...peers.entries()] : Object.entries(peers).map(([k, v]) => [Number(k), v]);
  const out: [NodeId, PeerAddress][] = [];
  for (const [pid, address] of raw) {
    if (!isPid(pid)) throw new TypeError(`peer ids must be positive integers, got ${String(pid)}`);
    if (pid !== self) out.push([pid, checkAddress(address, `address of peer ${pid}`)]);
  }
  return out;
}

/** checkOptions throws a TypeError for an unusable option and returns the resolved limits. */
export function checkOptions(o: TcpTransportOptions<unknown, unknown>): { maxFrameBytes: number; maxQueue: number } {
  if (!isPid(o.pid)) throw new TypeError(`pid must be a positive integer, got ${String(o.pid)}`);
  if (typeof o.clusterId !== 'string' || o.clusterId.length === 0) throw new TypeError('clusterId must be a non-empty string');
  checkAddress(o.listen, 'listen');
  const maxFrameBytes = o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 256 || maxFrameBytes > 0xffff_ffff) {
    throw new TypeError('maxFrameBytes must be an integer between 256 and 2^32-1');
  }
  const maxQueue = o.maxQueue ?? DEFAULT_MAX_QUEUE;
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 1) throw new TypeError('maxQueue must be a positive integer');
  return { maxFrameBytes, maxQueue };
}
