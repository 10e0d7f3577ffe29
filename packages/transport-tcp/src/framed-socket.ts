import type { Socket } from 'node:net';
import { FrameDecoder, encodeFrame } from './frame-codec.js';
import { decodePayload, encodePayload } from './wire.js';

/** FrameHandler receives each decoded frame payload of a connection. */
export type FrameHandler = (value: unknown) => void;

/** FrameCounters are incremented by every FramedSocket of one transport. */
export interface FrameCounters {
  framesIn: number;
  bytesIn: number;
  /** Frames that could not be framed or decoded, and messages the transport found invalid. */
  decodeErrors: number;
}

/** CLOSE_GRACE_MS is how long a socket closed after a final frame may linger before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * FramedSocket turns a socket into a stream of decoded MessagePack frames. Any framing or decoding
 * error closes the socket; `onClose` is called exactly once, with the first reason, whoever closed it,
 * and `fault` true when the socket was closed because of what the peer sent (or failed to send).
 * The handler may be swapped (handshake first, then messages) and may close the socket from inside.
 */
export class FramedSocket {
  private readonly decoder: FrameDecoder;
  private handler: FrameHandler = () => undefined;
  private closedReason: string | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    maxFrameBytes: number,
    private readonly counters: FrameCounters,
    private readonly onClose: (reason: string, fs: FramedSocket, fault: boolean) => void,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.close(`socket error: ${err.code ?? err.message}`));
    socket.on('close', () => this.close('connection closed'));
  }

  /** closed is true once the socket was closed for any reason. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** setHandler routes the frames received from now on. */
  setHandler(handler: FrameHandler): void {
    this.handler = handler;
  }

  /** expectWithin closes the socket with `reason` unless `clearDeadline` is called within `ms`. */
  expectWithin(ms: number, reason: string): void {
    this.clearDeadline();
    this.handshakeTimer = setTimeout(() => this.close(reason, true), ms);
    this.handshakeTimer.unref();
  }

  /** clearDeadline cancels the deadline set by expectWithin. */
  clearDeadline(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  /** sendValue encodes and writes a control frame; returns socket.write's backpressure signal. */
  sendValue(value: unknown): boolean {
    return this.writeFrame(encodeFrame(encodePayload(value)));
  }

  /** writeFrame writes an encoded frame; false means the caller should wait for 'drain'. */
  writeFrame(frame: Buffer): boolean {
    if (this.closed) return false;
    return this.socket.write(frame);
  }

  /** close destroys the socket now; the first reason wins. `fault` blames the peer's input. */
  close(reason: string, fault = false): void {
    if (this.closed) return;
    this.closedReason = reason;
    this.clearDeadline();
    this.socket.destroy();
    this.onClose(reason, this, fault);
  }

  /** closeAfter writes a last control frame, then ends the socket (destroyed after a short grace). */
  closeAfter(value: unknown, reason: string, fault = true): void {
    if (this.closed) return;
    this.closedReason = reason;
    this.clearDeadline();
    try {
      this.socket.end(encodeFrame(encodePayload(value)));
    } catch {
      this.socket.destroy();
    }
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.onClose(reason, this, fault);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.counters.bytesIn += chunk.length;
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.closed) return;
      this.counters.framesIn++;
      let value: unknown;
      try {
        value = decodePayload(frame);
      } catch (err) {
        this.counters.decodeErrors++;
        this.close(`undecodable frame: ${err instanceof Error ? err.message : String(err)}`, true);
        return;
      }
      try {
        this.handler(value);
      } catch (err) {
        this.close(`frame handler failed: ${err instanceof Error ? err.message : String(err)}`, true);
        return;
      }
    }
    if (error !== undefined) {
      this.counters.decodeErrors++;
      this.close(error.message, true);
    }
  }
}
