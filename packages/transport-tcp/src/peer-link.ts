import type { NodeId } from '@omnipaxos/core';
import { Backoff, type BackoffOptions, type RandomSource } from './backoff.js';
import type { FramedSocket } from './framed-socket.js';
import type { LinkState, PeerAddress, PeerLinkStats } from './link-stats.js';
import { SendQueue } from './send-queue.js';
import type { Hello } from './wire.js';

/**
 * PeerLink is everything a transport keeps for one peer: the established connection (at most one),
 * the bounded send queue, the redial timer with its backoff, and the counters. Writes respect
 * backpressure: once `socket.write` returns false, frames wait in the queue until 'drain'.
 */
export class PeerLink {
  /** state is the link's LinkState; changes are reported through `onState`. */
  state: LinkState = 'disconnected';
  /** enabled is false while the link is cut by the test hook. */
  enabled = true;
  sent = 0;
  /** Bytes of the messages handed to the socket (frame headers included). */
  bytesSent = 0;
  received = 0;
  dropped = 0;
  oversize = 0;
  encodeErrors = 0;
  connects = 0;
  peerConfigurationId: number | null = null;
  lastCloseReason: string | null = null;
  /** dialing is the connection attempt in flight, if any. */
  dialing: FramedSocket | undefined;
  readonly backoff: Backoff;
  private current: FramedSocket | undefined;
  private writable = true;
  private readonly queue: SendQueue;
  private redialTimer: NodeJS.Timeout | undefined;
  private readonly onDrain = (): void => {
    this.writable = true;
    this.flush();
  };

  constructor(
    readonly pid: NodeId,
    public address: PeerAddress,
    /** dialer is true when we dial this peer (our pid is lower). */
    readonly dialer: boolean,
    maxQueue: number,
    backoff: BackoffOptions,
    random: RandomSource,
    private readonly onState: (pid: NodeId, state: LinkState) => void,
  ) {
    this.queue = new SendQueue(maxQueue);
    this.backoff = new Backoff(backoff, random);
  }

  /** connection is the established, handshaken socket, if any. */
  get connection(): FramedSocket | undefined {
    return this.current;
  }

  /** setState records and reports a state change. */
  setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.onState(this.pid, state);
  }

  /**
   * enqueue queues an encoded message frame; the frames queued during one event-loop turn are written
   * together at its end (one system call on loopback costs as much as encoding many messages).
   */
  enqueue(frame: Buffer): void {
    if (!this.enabled || this.state === 'closed') {
      this.dropped++;
      return;
    }
    this.dropped += this.queue.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.scheduledFlush);
    }
  }

  private flushScheduled = false;
  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** flush writes queued frames (as one vectored write) until the queue is empty or the socket pushes back. */
  flush(): void {
    const fs = this.current;
    if (fs === undefined) return;
    const socket = fs.socket;
    socket.cork();
    // A socket the peer already ended is not writable even before its 'close' event: keep the frames.
    while (this.writable && this.queue.length > 0 && !fs.closed && socket.writable) {
      const frame = this.queue.shift();
      if (frame === undefined) break;
      this.sent++;
      this.bytesSent += frame.length;
      if (!fs.writeFrame(frame)) this.writable = false;
    }
    socket.uncork();
  }

  /**
   * attach makes `fs` the link's connection after a successful handshake, replacing (and closing) an
   * older one; returns true when this is a reconnection, i.e. not the first connection ever.
   */
  attach(fs: FramedSocket, hello: Hello): boolean {
    const old = this.current;
    this.current = fs;
    if (old !== undefined) {
      old.socket.off('drain', this.onDrain);
      old.close('superseded by a new connection from the same peer');
    }
    this.cancelRedial();
    this.backoff.reset();
    this.writable = true;
    this.peerConfigurationId = hello.configurationId;
    this.connects++;
    fs.socket.on('drain', this.onDrain);
    this.setState('connected');
    this.flush();
    return this.connects > 1;
  }

  /** detach forgets `fs` if it is the current connection; returns whether it was. */
  detach(fs: FramedSocket, reason: string): boolean {
    if (this.current !== fs) return false;
    fs.socket.off('drain', this.onDrain);
    this.current = undefined;
    this.lastCloseReason = reason;
    if (this.state !== 'closed') this.setState(this.enabled ? 'disconnected' : 'disabled');
    return true;
  }

  /** scheduleRedial runs `dial` after the next backoff delay, unless one is already scheduled. */
  scheduleRedial(dial: () => void, delayMs = this.backoff.next()): void {
    if (this.redialTimer !== undefined) return;
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined;
      dial();
    }, delayMs);
    this.redialTimer.unref();
  }

  /** cancelRedial drops a scheduled redial. */
  cancelRedial(): void {
    if (this.redialTimer !== undefined) clearTimeout(this.redialTimer);
    this.redialTimer = undefined;
  }

  /** discardQueue drops every queued frame, counting them as dropped. */
  discardQueue(): void {
    this.dropped += this.queue.clear();
  }

  /** stats snapshots the link's counters. */
  stats(): PeerLinkStats {
    return {
      pid: this.pid,
      address: { ...this.address },
      state: this.state,
      dialer: this.dialer,
      sent: this.sent,
      bytesSent: this.bytesSent,
      received: this.received,
      dropped: this.dropped,
      oversize: this.oversize,
      encodeErrors: this.encodeErrors,
      queued: this.queue.length,
      queuedBytes: this.queue.byteLength,
      bufferedBytes: this.current?.socket.writableLength ?? 0,
      connects: this.connects,
      peerConfigurationId: this.peerConfigurationId,
      lastCloseReason: this.lastCloseReason,
    };
  }
}
