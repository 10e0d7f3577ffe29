import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpTransport, type TcpTlsOptions } from '../src/index.js';
import { type Entry, Inbox, Signal, capturingLogger, heartbeat, mulberry32 } from './helpers.js';
import { RawPeer } from './raw-peer.js';
import { CertFactory, type Pem, opensslAvailable } from './tls-certs.js';

const hasOpenssl = opensslAvailable();
if (!hasOpenssl) console.warn('transport-tcp TLS tests skipped: the openssl CLI is not installed on this machine');

describe.skipIf(!hasOpenssl)('TcpTransport over mutual TLS (certificates made with the openssl CLI)', () => {
  let certs: CertFactory;
  let ca: Pem;
  let tlsFor: (name: string, pid: number) => TcpTlsOptions;
  let strangerTls: TcpTlsOptions;
  beforeAll(() => {
    certs = new CertFactory();
    ca = certs.ca('cluster-ca');
    tlsFor = (name, pid) => ({ ca: ca.cert, ...certs.leaf(name, 'cluster-ca', pid) });
    const strangerCa = certs.ca('stranger-ca');
    // The stranger trusts our CA (so it would accept us) but its own certificate is from another CA.
    strangerTls = { ca: [ca.cert, strangerCa.cert], ...certs.leaf('stranger', 'stranger-ca') };
  });
  afterAll(() => certs?.dispose());

  it('connects cluster members and carries messages both ways', async () => {
    const signal = new Signal();
    const nodes: TcpTransport<Entry>[] = [];
    const inboxes = new Map<number, Inbox>();
    for (const pid of [1, 2]) {
      const t = new TcpTransport<Entry>({
        pid, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: {}, tls: tlsFor(`node-${pid}`, pid), random: mulberry32(pid),
      });
      const inbox = new Inbox(signal);
      t.register(pid, inbox);
      t.onLinkState(() => signal.notify());
      await t.start();
      nodes.push(t);
      inboxes.set(pid, inbox);
    }
    try {
      const [a, b] = nodes;
      if (a === undefined || b === undefined) throw new Error('nodes');
      a.setPeerAddress(2, b.address() ?? { host: '', port: 0 });
      b.setPeerAddress(1, a.address() ?? { host: '', port: 0 });
      a.send(heartbeat(1, 2, 1));
      b.send(heartbeat(2, 1, 2));
      await signal.until(() => (inboxes.get(2)?.rounds(1).length ?? 0) === 1 && (inboxes.get(1)?.rounds(2).length ?? 0) === 1, 'TLS delivery');
      expect(a.linkState(2)).toBe('connected');
    } finally {
      await Promise.all(nodes.map((t) => t.close()));
    }
  });

  it("refuses a stranger whose certificate is from another CA, and a plain-TCP client", async () => {
    const signal = new Signal();
    const logger = capturingLogger(signal);
    const member = new TcpTransport<Entry>({
      pid: 2, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: { 1: { host: '127.0.0.1', port: 9 } },
      tls: tlsFor('member-2', 2), logger, random: mulberry32(2),
    });
    const memberInbox = new Inbox(signal);
    member.register(2, memberInbox);
    const { port } = await member.start();
    // The stranger knows the cluster id and claims a valid pid: only the certificate gives it away.
    const strangerLog = capturingLogger(signal);
    const stranger = new TcpTransport<Entry>({
      pid: 1, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: { 2: { host: '127.0.0.1', port } },
      tls: strangerTls, logger: strangerLog, random: mulberry32(1), backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    });
    await stranger.start();
    const plain = await RawPeer.connect(port, signal);
    plain.hello(1, 2);
    try {
      await signal.until(() => logger.warnings.filter((w) => w.includes('TLS handshake refused')).length >= 2 && plain.closed, 'both refused');
      expect(member.linkState(1)).not.toBe('connected');
      expect(stranger.linkState(2)).not.toBe('connected');
      expect(memberInbox.messages).toEqual([]);
      expect(member.stats().rejectedConnections).toBeGreaterThanOrEqual(2);
    } finally {
      await stranger.close();
      await member.close();
    }
  });

  it('a member refuses to dial a listener whose certificate is from another CA', async () => {
    const signal = new Signal();
    const impostor = new TcpTransport<Entry>({
      pid: 2, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: {}, tls: strangerTls, random: mulberry32(2),
    });
    const { port } = await impostor.start();
    const logger = capturingLogger(signal);
    const member = new TcpTransport<Entry>({
      pid: 1, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: { 2: { host: '127.0.0.1', port } },
      tls: tlsFor('member-1', 1), logger, random: mulberry32(1), backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    });
    member.onLinkState(() => signal.notify());
    await member.start();
    try {
      await signal.until(() => (member.stats().peers[0]?.lastCloseReason ?? '').includes('socket error'), 'the dial fails');
      expect(member.stats().peers[0]?.lastCloseReason).toMatch(/socket error: .*(CERT|SIGNATURE|SELF_SIGNED|ISSUER)/);
      expect(member.linkState(2)).not.toBe('connected');
    } finally {
      await member.close();
      await impostor.close();
    }
  });
});
