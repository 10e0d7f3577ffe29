import net from 'node:net';
import type { NodeId } from '@omnipaxos/core';
import { FrameDecoder, PROTOCOL_VERSION, decodePayload, encodeFrame, encodePayload } from '../src/index.js';
import type { Signal } from './helpers.js';

/** RawPeer is a hand-driven TCP client that speaks (or breaks) the transport's wire protocol. */
export class RawPeer {
  readonly frames: unknown[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 24);

  private constructor(readonly socket: net.Socket, signal: Signal) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk).frames) this.frames.push(decodePayload(f));
      } catch {
        // a test peer ignores what it cannot parse
      }
      signal.notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      signal.notify();
    });
  }

  /** connect opens a raw connection to a loopback port. */
  static connect(port: number, signal: Signal): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(socket, signal)));
      socket.once('error', reject);
    });
  }

  /** sendValue writes one well-framed MessagePack value. */
  sendValue(value: unknown): void {
    this.sendBytes(encodeFrame(encodePayload(value)));
  }

  /** sendBytes writes raw bytes, framed or not. */
  sendBytes(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** hello writes a Hello claiming `pid`. */
  hello(pid: NodeId, to: NodeId, clusterId = 'test-cluster'): void {
    this.sendValue({ kind: 'Hello', protocol: PROTOCOL_VERSION, clusterId, configurationId: 1, pid, to });
  }

  /** destroy closes the connection from this side. */
  destroy(): void {
    this.socket.destroy();
  }
}
