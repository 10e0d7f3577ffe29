import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, PROTOCOL_VERSION, TcpTransport, decodePayload, encodeFrame, encodePayload } from '../src/index.js';
import { type Entry, Inbox, Signal, capturingLogger, heartbeat, mulberry32, node, startCluster } from './helpers.js';
import { RawPeer } from './raw-peer.js';

/** target starts pid 5 whose lower-pid peers 1 and 2 are played by raw test clients (never dialed). */
async function target(signal: Signal, extra: { maxFrameBytes?: number; handshakeTimeoutMs?: number } = {}) {
  const logger = capturingLogger(signal);
  const transport = new TcpTransport<Entry>({
    pid: 5,
    clusterId: 'test-cluster',
    listen: { host: '127.0.0.1', port: 0 },
    peers: { 1: { host: '127.0.0.1', port: 9 }, 2: { host: '127.0.0.1', port: 9 }, 7: { host: '127.0.0.1', port: 9 } },
    logger,
    random: mulberry32(5),
    backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    ...extra,
  });
  const inbox = new Inbox(signal);
  transport.register(5, inbox);
  const { port } = await transport.start();
  return { transport, inbox, logger, port };
}

describe('TcpTransport handshake and bad input', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('refuses a transport of another cluster, and the stranger logs why', async () => {
    const signal = new Signal();
    const cluster = await startCluster([2], signal);
    cleanups.push(cluster.close);
    const two = node(cluster.nodes, 2);
    const strangerLog = capturingLogger(signal);
    const stranger = new TcpTransport<Entry>({
      pid: 1,
      clusterId: 'other-cluster',
      listen: { host: '127.0.0.1', port: 0 },
      peers: { 2: two.transport.address() ?? { host: '127.0.0.1', port: 0 } },
      logger: strangerLog,
      random: mulberry32(1),
    });
    stranger.onLinkState(() => signal.notify());
    await stranger.start();
    cleanups.push(() => stranger.close());
    await signal.until(() => two.logger.warnings.some((w) => w.includes('wrong cluster')), 'pid 2 logs the refusal');
    await signal.until(() => strangerLog.warnings.some((w) => w.includes('refused our handshake: wrong cluster')), 'stranger logs it');
    expect(stranger.linkState(2)).not.toBe('connected');
    expect(two.transport.stats().rejectedConnections).toBeGreaterThan(0);
  });

  it('refuses a client claiming a pid that is not a peer, or one that must be dialed instead', async () => {
    const signal = new Signal();
    const t = await target(signal);
    cleanups.push(() => t.transport.close());
    const unknown = await RawPeer.connect(t.port, signal);
    unknown.hello(9, 5);
    const higher = await RawPeer.connect(t.port, signal);
    higher.hello(7, 5); // 7 > 5: pid 5 dials 7, never the other way round
    const misdirected = await RawPeer.connect(t.port, signal);
    misdirected.hello(1, 4);
    await signal.until(() => unknown.closed && higher.closed && misdirected.closed, 'all three closed');
    expect(unknown.frames).toEqual([{ kind: 'Reject', reason: 'pid 9 is not a peer of pid 5' }]);
    expect(higher.frames).toEqual([{ kind: 'Reject', reason: 'pid 7 must wait for pid 5 to dial it (the lower pid dials)' }]);
    expect(misdirected.frames).toEqual([{ kind: 'Reject', reason: 'Hello is addressed to pid 4, not to us' }]);
    expect(t.transport.stats().rejectedConnections).toBe(3);
  });

  it('a dialer refuses a listener that answers with the wrong pid', async () => {
    const signal = new Signal();
    const decoder = new FrameDecoder(1 << 20);
    const impostor = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk).frames) {
          const hello = decodePayload(f) as { pid: number };
          socket.write(encodeFrame(encodePayload({ ...hello, kind: 'Hello', protocol: PROTOCOL_VERSION, pid: 3, to: hello.pid })));
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => impostor.close(() => r())));
    const port = (impostor.address() as net.AddressInfo).port;
    const logger = capturingLogger(signal);
    const dialer = new TcpTransport<Entry>({
      pid: 1,
      clusterId: 'test-cluster',
      listen: { host: '127.0.0.1', port: 0 },
      peers: { 2: { host: '127.0.0.1', port } },
      logger,
      random: mulberry32(1),
      backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    });
    await dialer.start();
    cleanups.push(() => dialer.close());
    await signal.until(() => logger.warnings.some((w) => w.includes('peer claims pid 3, expected 2')), 'the dialer refuses');
    expect(dialer.linkState(2)).not.toBe('connected');
  });

  it('closes a connection whose messages come from another pid or are not addressed to us', async () => {
    const signal = new Signal();
    const t = await target(signal);
    cleanups.push(() => t.transport.close());
    const spoofer = await RawPeer.connect(t.port, signal);
    spoofer.hello(1, 5);
    spoofer.sendValue(heartbeat(1, 5, 1));
    spoofer.sendValue(heartbeat(2, 5, 2));
    const misrouter = await RawPeer.connect(t.port, signal);
    misrouter.hello(2, 5);
    misrouter.sendValue(heartbeat(2, 6, 3));
    await signal.until(() => spoofer.closed && misrouter.closed, 'both closed');
    expect(t.inbox.rounds(1)).toEqual([1]);
    expect(t.inbox.messages).toHaveLength(1);
    expect(t.logger.warnings.some((w) => w.includes('claims to be from pid 2 on the link of pid 1'))).toBe(true);
    expect(t.logger.warnings.some((w) => w.includes('addressed to pid 6, not to us'))).toBe(true);
  });

  it('closes a connection that announces an oversize frame, and drops oversize sends', async () => {
    const signal = new Signal();
    const t = await target(signal, { maxFrameBytes: 1024 });
    cleanups.push(() => t.transport.close());
    const peer = await RawPeer.connect(t.port, signal);
    peer.hello(1, 5);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    peer.sendBytes(header);
    await signal.until(() => peer.closed, 'oversize frame closes the connection');
    expect(t.transport.stats().lastRejection).toBe('frame of 1025 bytes exceeds maxFrameBytes 1024');

    expect(t.transport.stats().decodeErrors).toBe(1);

    const failures: unknown[] = [];
    t.transport.onSendFailure((f) => failures.push(f));
    t.transport.send({ ...heartbeat(5, 1, 1), kind: 'SequencePaxos', msg: { type: 'ProposalForward', entries: [{ key: 'x'.repeat(2000), value: 1 }] } });
    const stats = t.transport.stats();
    expect(stats.peers.find((p) => p.pid === 1)).toMatchObject({ dropped: 1, oversize: 1 });
    expect(stats).toMatchObject({ oversize: 1, dropped: 1 });
    // An oversize message is an error: logged, counted and reported to the sender, never a silent drop.
    expect(t.logger.errors.some((w) => w.includes('exceeds maxFrameBytes'))).toBe(true);
    expect(failures).toEqual([{ peer: 1, reason: 'oversize', bytes: expect.any(Number), what: 'SequencePaxos/ProposalForward' }]);
  });

  it('closes a connection that sends no handshake in time, or a truncated one', async () => {
    const signal = new Signal();
    const t = await target(signal, { handshakeTimeoutMs: 200 });
    cleanups.push(() => t.transport.close());
    const silent = await RawPeer.connect(t.port, signal);
    const truncated = await RawPeer.connect(t.port, signal);
    const frame = encodeFrame(encodePayload({ kind: 'Hello', protocol: PROTOCOL_VERSION, clusterId: 'test-cluster', pid: 1, to: 5 }));
    truncated.sendBytes(frame.subarray(0, frame.length - 3));
    await signal.until(() => silent.closed && truncated.closed, 'both closed by the deadline');
    expect(t.logger.warnings.filter((w) => w.includes('no handshake in time'))).toHaveLength(2);
  });
});
