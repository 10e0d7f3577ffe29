import type { Server, Socket } from 'node:net';
import type { Logger, NodeId } from '@omnipaxos/core';
import type { Transport, TransportEndpoint } from '@omnipaxos/actors';
import { encodeFrame } from './frame-codec.js';
import { type FrameCounters, FramedSocket } from './framed-socket.js';
import { socketPidRefusal } from './cert-pid.js';
import { checkHello, makeHello } from './handshake.js';
import { checkInbound } from './inbound-check.js';
import type { LinkState, PeerAddress, SendFailure, TransportStats } from './link-stats.js';
import { type Carried, type TcpTransportOptions, checkOptions, peerEntries } from './options.js';
import { PeerLink } from './peer-link.js';
import { silentLogger } from './silent-logger.js';
import { createListener, openSocket } from './socket-factory.js';
import { type Reject, encodePayload, isReject } from './wire.js';

/** LinkStateListener hears every link state change. */
export type LinkStateListener = (peer: NodeId, state: LinkState) => void;

/** SendFailureListener hears every message the transport refused to send (see SendFailure). */
export type SendFailureListener = (failure: SendFailure) => void;

/** describeCarried names a message for logs: its kind and, when it has one, its type. */
function describeCarried(m: unknown): string {
  const o = m as { kind?: unknown; msg?: { type?: unknown } };
  const kind = typeof o?.kind === 'string' ? o.kind : '?';
  const type = typeof o?.msg?.type === 'string' ? o.msg.type : undefined;
  return type === undefined ? kind : `${kind}/${type}`;
}

/**
 * TcpTransport carries one node's replica messages to its peers over TCP (or mutual TLS): one
 * connection per peer pair, dialed by the lower pid and accepted by the higher; length-prefixed
 * MessagePack frames; a Hello handshake (cluster id, configuration id, pid); redial with jittered
 * exponential backoff and `reconnected(peer)` on the endpoint when a link comes back; bounded per-peer
 * send queues that drop the oldest message when a peer is slow or away. Any bad input closes only the
 * connection it came on, with a logged reason. Call `start()` before use and `close()` at the end.
 */
export class TcpTransport<T, S = never> implements Transport<T, S> {
  /** pid is this node's id. */
  readonly pid: NodeId;
  private readonly maxFrameBytes: number;
  private readonly maxQueue: number;
  private readonly logger: Logger;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly pending = new Set<FramedSocket>();
  private readonly rawSockets = new Set<Socket>();
  private readonly listeners = new Set<LinkStateListener>();
  private readonly counters: FrameCounters = { framesIn: 0, bytesIn: 0, decodeErrors: 0 };
  private readonly sendFailureListeners = new Set<SendFailureListener>();
  private endpoint: TransportEndpoint<T, S> | undefined;
  private server: Server | undefined;
  private bound: PeerAddress | null = null;
  private configurationId: number | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';
  private rejected = 0;
  private lastRejection: string | null = null;
  private undeliverable = 0;
  private unroutable = 0;

  constructor(private readonly options: TcpTransportOptions<T, S>) {
    const limits = checkOptions(options as TcpTransportOptions<unknown, unknown>);
    this.pid = options.pid;
    this.maxFrameBytes = limits.maxFrameBytes;
    this.maxQueue = limits.maxQueue;
    this.logger = options.logger ?? silentLogger;
    this.configurationId = options.configurationId;
    for (const [pid, address] of peerEntries(options.peers as TcpTransportOptions<unknown, unknown>['peers'], this.pid)) {
      this.addLink(pid, address);
    }
  }

  /** start listens (resolving to the bound address, useful with port 0) and begins dialing peers. */
  async start(): Promise<PeerAddress> {
    if (this.state !== 'new') throw new Error(`TcpTransport.start: transport is ${this.state}`);
    const server = createListener(
      this.options.tls,
      (socket) => this.accept(socket),
      (err, socket) => {
        this.countRejection(`TLS handshake refused: ${err.message}`, socket.remoteAddress);
        socket.destroy();
      },
    );
    server.on('connection', (socket: Socket) => {
      this.rawSockets.add(socket);
      socket.once('close', () => this.rawSockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error('transport-tcp: listener error', { error: err.message }));
    this.server = server;
    const address = server.address();
    this.bound =
      address !== null && typeof address === 'object'
        ? { host: address.address, port: address.port }
        : { ...this.options.listen };
    this.state = 'started';
    for (const link of this.links.values()) if (link.dialer) this.dial(link);
    return { ...this.bound };
  }

  /** address is the bound listen address, once started. */
  address(): PeerAddress | null {
    return this.bound === null ? null : { ...this.bound };
  }

  /** register attaches the local node; only this transport's own pid can be registered. */
  register(pid: NodeId, endpoint: TransportEndpoint<T, S>): () => void {
    if (pid !== this.pid) throw new Error(`TcpTransport.register: this transport serves pid ${this.pid}, not ${pid}`);
    if (this.endpoint !== undefined) throw new Error(`TcpTransport.register: pid ${pid} is already registered`);
    this.endpoint = endpoint;
    return () => {
      if (this.endpoint === endpoint) this.endpoint = undefined;
    };
  }

  /** send encodes `message` now and queues it for `message.to`; drops (and counts) what it cannot send. */
  send(message: Carried<T, S>): void {
    if (this.state === 'closed') return;
    if (message.from !== this.pid) {
      this.unroutable++;
      this.logger.warn('transport-tcp: not sending a message that is not from this node', { from: message.from });
      return;
    }
    if (message.to === this.pid) {
      const copy = structuredClone(message);
      queueMicrotask(() => this.deliverLocal(copy));
      return;
    }
    const link = this.links.get(message.to);
    if (link === undefined) {
      this.unroutable++;
      return;
    }
    if (!link.enabled) {
      link.dropped++;
      return;
    }
    let payload: Buffer;
    try {
      payload = encodePayload(message);
    } catch (err) {
      link.dropped++;
      link.encodeErrors++;
      const what = describeCarried(message);
      this.logger.error('transport-tcp: message cannot be encoded: not sent', { to: message.to, what, error: String(err) });
      this.reportSendFailure({ peer: message.to, reason: 'encode', bytes: null, what });
      return;
    }
    if (payload.length > this.maxFrameBytes) {
      link.dropped++;
      link.oversize++;
      const what = describeCarried(message);
      this.logger.error('transport-tcp: message exceeds maxFrameBytes: not sent', {
        to: message.to,
        what,
        bytes: payload.length,
        maxFrameBytes: this.maxFrameBytes,
        oversize: link.oversize,
      });
      this.reportSendFailure({ peer: message.to, reason: 'oversize', bytes: payload.length, what });
      return;
    }
    link.enqueue(encodeFrame(payload));
  }

  /**
   * onSendFailure subscribes to messages the transport refuses to send (too large for one frame, or
   * not encodable); they are also logged and counted. Returns the unsubscribe function.
   */
  onSendFailure(listener: SendFailureListener): () => void {
    this.sendFailureListeners.add(listener);
    return () => this.sendFailureListeners.delete(listener);
  }

  private reportSendFailure(failure: SendFailure): void {
    for (const listener of [...this.sendFailureListeners]) {
      try {
        listener(failure);
      } catch (err) {
        this.logger.error('transport-tcp: send failure listener threw', { error: String(err) });
      }
    }
  }

  /** setPeerAddress adds a peer or moves it to a new address (reconnecting if we dial it). */
  setPeerAddress(pid: NodeId, address: PeerAddress): void {
    const [entry] = peerEntries(new Map([[pid, address]]), this.pid);
    if (entry === undefined) throw new Error(`TcpTransport.setPeerAddress: ${pid} is this node`);
    const link = this.links.get(pid);
    if (link === undefined) {
      const added = this.addLink(pid, entry[1]);
      if (this.state === 'started' && added.dialer) this.dial(added);
      return;
    }
    link.address = entry[1];
    if (link.dialer && link.connection === undefined && this.state === 'started') {
      link.cancelRedial();
      link.dialing?.close('peer address changed');
      this.dial(link);
    }
  }

  /** removePeer closes the link to `pid` and forgets it. */
  removePeer(pid: NodeId): void {
    const link = this.links.get(pid);
    if (link === undefined) return;
    this.links.delete(pid);
    link.cancelRedial();
    link.discardQueue();
    link.setState('closed');
    link.dialing?.close('peer removed');
    link.connection?.close('peer removed');
  }

  /** setConfigurationId changes the configuration id announced in future handshakes. */
  setConfigurationId(configurationId: number | undefined): void {
    this.configurationId = configurationId;
  }

  /**
   * setLinkEnabled is a test hook that cuts (false) or heals (true) the link to `peer`: while cut, the
   * connection is closed, nothing is dialed or accepted from that peer, and sends to it are dropped.
   * Healing redials at once if we are the dialer; otherwise the peer's next redial gets through.
   */
  setLinkEnabled(peer: NodeId, enabled: boolean): void {
    const link = this.links.get(peer);
    if (link === undefined) throw new Error(`TcpTransport.setLinkEnabled: unknown peer ${peer}`);
    if (link.enabled === enabled || link.state === 'closed') return;
    link.enabled = enabled;
    if (!enabled) {
      link.cancelRedial();
      link.discardQueue();
      link.dialing?.close('link disabled');
      link.connection?.close('link disabled');
      link.setState('disabled');
      return;
    }
    link.setState('disconnected');
    link.backoff.reset();
    if (link.dialer && this.state === 'started') this.dial(link);
  }

  /** dropConnection is a test hook that destroys the current connection to `peer`, as a network reset would. */
  dropConnection(peer: NodeId): void {
    this.links.get(peer)?.connection?.close('connection dropped by dropConnection');
  }

  /** linkState is the state of the link to `peer` (undefined for an unknown peer). */
  linkState(peer: NodeId): LinkState | undefined {
    return this.links.get(peer)?.state;
  }

  /** onLinkState subscribes to link state changes; returns the unsubscribe function. */
  onLinkState(listener: LinkStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** stats snapshots the transport's counters and every link, for a status endpoint. */
  stats(): TransportStats {
    const peers = [...this.links.values()].map((l) => l.stats()).sort((a, b) => a.pid - b.pid);
    let oversize = 0;
    let dropped = 0;
    for (const p of peers) {
      oversize += p.oversize;
      dropped += p.dropped;
    }
    return {
      pid: this.pid,
      clusterId: this.options.clusterId,
      configurationId: this.configurationId ?? null,
      listening: this.address(),
      rejectedConnections: this.rejected,
      lastRejection: this.lastRejection,
      framesIn: this.counters.framesIn,
      bytesIn: this.counters.bytesIn,
      decodeErrors: this.counters.decodeErrors,
      oversize,
      dropped,
      undeliverable: this.undeliverable,
      unroutable: this.unroutable,
      peers,
    };
  }

  /** close stops listening and dialing, closes every connection and drops queued messages. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    for (const link of this.links.values()) {
      link.cancelRedial();
      link.flush(); // what was sent this turn still goes out, as it did before writes were coalesced
      link.discardQueue();
      link.setState('closed');
      link.dialing?.close('transport closed');
      link.connection?.close('transport closed');
    }
    for (const fs of [...this.pending]) fs.close('transport closed');
    for (const socket of this.rawSockets) socket.destroy();
    const server = this.server;
    if (wasStarted && server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private addLink(pid: NodeId, address: PeerAddress): PeerLink {
    const link = new PeerLink(
      pid,
      address,
      this.pid < pid,
      this.maxQueue,
      this.options.backoff ?? {},
      this.options.random ?? Math.random,
      (peer, state) => {
        for (const listener of [...this.listeners]) listener(peer, state);
      },
    );
    this.links.set(pid, link);
    return link;
  }

  private hello(to: NodeId): unknown {
    return makeHello(this.options.clusterId, this.configurationId, this.pid, to);
  }

  /** dial opens a connection to a peer we dial; the peer's Hello (or Reject) answers ours. */
  private dial(link: PeerLink): void {
    if (this.state !== 'started' || !link.enabled || link.connection !== undefined || link.dialing !== undefined) return;
    if (!this.links.has(link.pid)) return;
    link.setState('connecting');
    const { socket, readyEvent } = openSocket(link.address, this.options.tls);
    const fs = new FramedSocket(socket, this.maxFrameBytes, this.counters, (r, f, fault) => this.onClosed(link, f, r, fault));
    link.dialing = fs;
    this.pending.add(fs);
    fs.expectWithin(this.options.handshakeTimeoutMs ?? 5000, `handshake with pid ${link.pid} timed out`);
    socket.once(readyEvent, () => fs.sendValue(this.hello(link.pid)));
    fs.setHandler((value) => {
      if (isReject(value)) {
        fs.close(`pid ${link.pid} refused our handshake: ${value.reason.slice(0, 200)}`, true);
        return;
      }
      const result = checkHello(value, { clusterId: this.options.clusterId, self: this.pid, expectedPid: link.pid });
      const refusal = result.ok ? this.certificateRefusal(socket, link.pid) : result.reason;
      if (refusal !== undefined || !result.ok) {
        fs.close(`handshake with pid ${link.pid} failed: ${refusal ?? 'refused'}`, true);
        return;
      }
      this.establish(link, fs, result.hello);
    });
  }

  /** accept takes an inbound connection: its first frame must be a Hello from a peer that dials us. */
  private accept(socket: Socket): void {
    if (this.state !== 'started') {
      socket.destroy();
      return;
    }
    let link: PeerLink | undefined;
    const fs = new FramedSocket(socket, this.maxFrameBytes, this.counters, (r, f, fault) => this.onClosed(link, f, r, fault));
    this.pending.add(fs);
    fs.expectWithin(this.options.handshakeTimeoutMs ?? 5000, 'no handshake in time');
    fs.setHandler((value) => {
      const result = checkHello(value, {
        clusterId: this.options.clusterId,
        self: this.pid,
        mayDial: (pid) => this.mayDial(pid),
      });
      const certRefusal = result.ok ? this.certificateRefusal(socket, result.hello.pid) : undefined;
      const accepted = result.ok && certRefusal === undefined ? this.links.get(result.hello.pid) : undefined;
      if (!result.ok || accepted === undefined) {
        const reject: Reject = { kind: 'Reject', reason: result.ok ? (certRefusal ?? 'unknown peer') : result.reason };
        fs.closeAfter(reject, `refused handshake: ${reject.reason}`);
        return;
      }
      link = accepted;
      fs.sendValue(this.hello(accepted.pid));
      this.establish(accepted, fs, result.hello);
    });
  }

  /** certificateRefusal says why the TLS peer on `socket` may not speak for `pid` (see `TcpTlsOptions.bindPid`). */
  private certificateRefusal(socket: Socket, pid: NodeId): string | undefined {
    const tls = this.options.tls;
    if (tls === undefined || tls.bindPid === false) return undefined;
    return socketPidRefusal(socket, pid);
  }

  private mayDial(pid: NodeId): string | undefined {
    const link = this.links.get(pid);
    if (link === undefined) return `pid ${pid} is not a peer of pid ${this.pid}`;
    if (link.dialer) return `pid ${pid} must wait for pid ${this.pid} to dial it (the lower pid dials)`;
    if (!link.enabled) return `link to pid ${pid} is disabled`;
    return undefined;
  }

  private establish(link: PeerLink, fs: FramedSocket, hello: Parameters<PeerLink['attach']>[1]): void {
    fs.clearDeadline();
    this.pending.delete(fs);
    if (link.dialing === fs) link.dialing = undefined;
    const again = link.attach(fs, hello);
    fs.setHandler((value) => this.handleFrame(link, fs, value));
    this.logger.info('transport-tcp: link up', { peer: link.pid, reconnect: again });
    if (again) {
      try {
        this.endpoint?.reconnected?.(link.pid);
      } catch (err) {
        this.logger.error('transport-tcp: endpoint.reconnected threw', { peer: link.pid, error: String(err) });
      }
    }
  }

  /** handleFrame checks one message frame from an established link and delivers it. */
  private handleFrame(link: PeerLink, fs: FramedSocket, value: unknown): void {
    const verdict = checkInbound<T, S>(value, link.pid, this.pid, this.options.validate, this.options.extraKinds);
    if (!verdict.ok) {
      this.counters.decodeErrors++;
      fs.close(verdict.reason, true);
      return;
    }
    link.received++;
    this.deliverLocal(verdict.message);
  }

  private deliverLocal(message: Carried<T, S>): void {
    const endpoint = this.endpoint;
    if (endpoint === undefined) {
      this.undeliverable++;
      return;
    }
    try {
      endpoint.deliver(message);
    } catch (err) {
      this.logger.error('transport-tcp: endpoint.deliver threw', { from: message.from, error: String(err) });
    }
  }

  /** onClosed runs once per socket: forget it, log faults, and redial if we dial this peer. */
  private onClosed(link: PeerLink | undefined, fs: FramedSocket, reason: string, fault: boolean): void {
    this.pending.delete(fs);
    if (fault) this.countRejection(reason, fs.socket.remoteAddress, link?.pid);
    if (link === undefined) return;
    if (link.dialing === fs) {
      link.dialing = undefined;
      link.lastCloseReason = reason;
    } else if (link.detach(fs, reason)) {
      this.logger.info('transport-tcp: link down', { peer: link.pid, reason });
    }
    if (link.connection !== undefined || link.dialing !== undefined) return;
    if (link.state === 'closed' || !link.enabled) return;
    link.setState('disconnected');
    if (link.dialer && this.state === 'started') link.scheduleRedial(() => this.dial(link));
  }

  private countRejection(reason: string, remote: string | undefined, peer?: NodeId): void {
    this.rejected++;
    this.lastRejection = reason;
    this.logger.warn(`transport-tcp: closed connection: ${reason}`, { remote: remote ?? null, peer: peer ?? null });
  }
}
