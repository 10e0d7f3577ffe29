import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, PROTOCOL_VERSION, TcpTransport, decodePayload, encodeFrame, encodePayload } from '../src/index.js';
import { type Entry, Signal, acceptDecide, mulberry32 } from './helpers.js';

/** slowPeer accepts one dial as pid 2, answers the handshake, then reads nothing until resumed. */
async function slowPeer(signal: Signal) {
  const decoder = new FrameDecoder(1 << 24);
  const state = { messages: 0, socket: undefined as net.Socket | undefined };
  const server = net.createServer((socket) => {
    state.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk).frames) {
        const value = decodePayload(f) as { kind: string; pid: number };
        if (value.kind === 'Hello') {
          socket.write(encodeFrame(encodePayload({ ...value, protocol: PROTOCOL_VERSION, pid: 2, to: value.pid })));
          socket.pause(); // from now on the kernel buffers fill up and the sender must push back
        } else {
          state.messages++;
        }
      }
      signal.notify();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, state, port: (server.address() as net.AddressInfo).port };
}

describe('TcpTransport backpressure', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('bounds the per-peer queue for a peer that stops reading, dropping the oldest, and recovers', async () => {
    const signal = new Signal();
    const peer = await slowPeer(signal);
    cleanups.push(() => {
      peer.state.socket?.destroy();
      return new Promise<void>((r) => peer.server.close(() => r()));
    });
    const maxQueue = 100;
    const transport = new TcpTransport<Entry>({
      pid: 1,
      clusterId: 'test-cluster',
      listen: { host: '127.0.0.1', port: 0 },
      peers: { 2: { host: '127.0.0.1', port: peer.port } },
      maxQueue,
      random: mulberry32(1),
    });
    transport.onLinkState(() => signal.notify());
    await transport.start();
    cleanups.push(() => transport.close());
    await signal.until(() => transport.linkState(2) === 'connected', 'handshake with the slow peer');

    const total = 3000;
    const entry = { key: 'k', value: 0 };
    const big = [{ ...entry, key: 'x'.repeat(16 * 1024) }];
    let maxQueued = 0;
    let maxBuffered = 0;
    for (let i = 1; i <= total; i++) {
      transport.send(acceptDecide(1, 2, big, i));
      const s = transport.stats().peers[0];
      maxQueued = Math.max(maxQueued, s?.queued ?? 0);
      maxBuffered = Math.max(maxBuffered, s?.bufferedBytes ?? 0);
    }
    const stats = transport.stats().peers[0];
    if (stats === undefined) throw new Error('no link stats');
    // Every message is accounted for: handed to the socket, waiting in the bounded queue, or dropped.
    expect(stats.sent + stats.queued + stats.dropped).toBe(total);
    expect(maxQueued).toBeLessThanOrEqual(maxQueue);
    expect(stats.dropped).toBeGreaterThan(0);
    // The socket's own buffer holds at most its high-water mark plus one frame: we stop writing at 'false'.
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + 17 * 1024);

    peer.state.socket?.resume();
    await signal.until(() => {
      const s = transport.stats().peers[0];
      return s !== undefined && s.queued === 0 && peer.state.messages === s.sent;
    }, 'the queue drains once the peer reads again', 30_000);
    const after = transport.stats().peers[0];
    expect((after?.sent ?? 0) + (after?.dropped ?? 0)).toBe(total);
    expect(peer.state.messages).toBe(total - (after?.dropped ?? 0));
  });
});
