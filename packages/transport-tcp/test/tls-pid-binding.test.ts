import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpTransport, type TcpTlsOptions, certificatePidRefusal, pidsOfCertificate } from '../src/index.js';
import { type Entry, Inbox, Signal, capturingLogger, heartbeat, mulberry32 } from './helpers.js';
import { CertFactory, type Pem, opensslAvailable } from './tls-certs.js';

describe('pidsOfCertificate', () => {
  it('reads the pid from CN=replica-<pid> and from URI SANs urn:omnipaxos:pid:<pid>', () => {
    expect(pidsOfCertificate({ subject: { CN: 'replica-7' } })).toEqual([7]);
    expect(pidsOfCertificate({ subject: { CN: 'node1' }, subjectaltname: 'DNS:localhost, URI:urn:omnipaxos:pid:3, IP Address:127.0.0.1' })).toEqual([3]);
    expect(pidsOfCertificate({ subject: { CN: 'replica-3' }, subjectaltname: 'URI:urn:omnipaxos:pid:3' })).toEqual([3]);
  });

  it('ignores names that are not a positive integer pid', () => {
    expect(pidsOfCertificate({ subject: { CN: ['replica-0', 'replica-01', 'replica-x'] }, subjectaltname: 'URI:urn:omnipaxos:pid:-2, URI:urn:omnipaxos:pid:' })).toEqual([]);
    expect(pidsOfCertificate({})).toEqual([]);
  });

  it('refuses a certificate naming no pid, another pid, or several', () => {
    expect(certificatePidRefusal({ subject: { CN: 'node1' } }, 1)).toMatch(/names no pid/);
    expect(certificatePidRefusal({ subject: { CN: 'replica-2' } }, 1)).toBe('certificate is for pid 2, peer claims pid 1');
    expect(certificatePidRefusal({ subject: { CN: 'replica-1' }, subjectaltname: 'URI:urn:omnipaxos:pid:2' }, 1)).toMatch(/several pids/);
    expect(certificatePidRefusal({ subject: { CN: 'replica-1' } }, 1)).toBeUndefined();
  });
});

describe.skipIf(!opensslAvailable())('TcpTransport over mutual TLS: a member certificate is bound to its pid', () => {
  let certs: CertFactory;
  let ca: Pem;
  const tlsOf = (pem: Pem, extra: Partial<TcpTlsOptions> = {}): TcpTlsOptions => ({ ca: ca.cert, ...pem, ...extra });
  beforeAll(() => {
    certs = new CertFactory();
    ca = certs.ca('cluster-ca');
  });
  afterAll(() => certs?.dispose());

  /** pair starts a listener (pid 2) and a dialer (pid 1) with the given TLS options, and waits until `done` holds. */
  async function pair(listenerTls: TcpTlsOptions, dialerTls: TcpTlsOptions, done: (l: TcpTransport<Entry>, d: TcpTransport<Entry>, logs: { l: string[]; d: string[] }) => boolean) {
    const signal = new Signal();
    const lLog = capturingLogger(signal);
    const dLog = capturingLogger(signal);
    const listener = new TcpTransport<Entry>({
      pid: 2, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: { 1: { host: '127.0.0.1', port: 9 } }, tls: listenerTls, logger: lLog, random: mulberry32(2),
    });
    const inbox = new Inbox(signal);
    listener.register(2, inbox);
    listener.onLinkState(() => signal.notify());
    const { port } = await listener.start();
    const dialer = new TcpTransport<Entry>({
      pid: 1, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: { 2: { host: '127.0.0.1', port } }, tls: dialerTls, logger: dLog, random: mulberry32(1),
      backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    });
    dialer.onLinkState(() => signal.notify());
    await dialer.start();
    try {
      dialer.send(heartbeat(1, 2, 1));
      await signal.until(() => done(listener, dialer, { l: lLog.warnings, d: dLog.warnings }), 'the expected outcome');
      return { delivered: inbox.messages.length, listenerState: listener.linkState(1), dialerState: dialer.linkState(2) };
    } finally {
      await dialer.close();
      await listener.close();
    }
  }

  it('refuses a member certificate of pid 3 that dials claiming pid 1', async () => {
    const r = await pair(tlsOf(certs.leaf('replica-2', 'cluster-ca', 2)), tlsOf(certs.leaf('thief', 'cluster-ca', 3)), (_l, _d, logs) =>
      logs.l.some((w) => w.includes('certificate is for pid 3, peer claims pid 1')));
    expect(r.delivered).toBe(0);
    expect(r.listenerState).not.toBe('connected');
  });

  it('a dialer refuses a listener whose certificate is for another pid than the one it dialed', async () => {
    const r = await pair(tlsOf(certs.leaf('thief-listener', 'cluster-ca', 3)), tlsOf(certs.leaf('replica-1', 'cluster-ca', 1)), (_l, d) =>
      (d.stats().peers[0]?.lastCloseReason ?? '').includes('certificate is for pid 3, peer claims pid 2'));
    expect(r.delivered).toBe(0);
    expect(r.dialerState).not.toBe('connected');
  });

  it('refuses a certificate that names no pid, unless bindPid is false on both sides', async () => {
    const refused = await pair(tlsOf(certs.leaf('replica-2', 'cluster-ca', 2)), tlsOf(certs.leaf('anonymous-1', 'cluster-ca')), (_l, _d, logs) =>
      logs.l.some((w) => w.includes('certificate names no pid')));
    expect(refused.delivered).toBe(0);
    const accepted = await pair(
      tlsOf(certs.leaf('legacy-2', 'cluster-ca'), { bindPid: false }),
      tlsOf(certs.leaf('legacy-1', 'cluster-ca'), { bindPid: false }),
      (l) => l.linkState(1) === 'connected' && l.stats().peers[0]?.received === 1,
    );
    expect(accepted.delivered).toBe(1);
  });

  it('connects members whose certificates name their own pids (CN=replica-<pid> works too)', async () => {
    const r = await pair(tlsOf(certs.leaf('replica-2', 'cluster-ca')), tlsOf(certs.leaf('replica-1', 'cluster-ca', 1)), (l) => l.stats().peers[0]?.received === 1);
    expect(r.delivered).toBe(1);
  });
});
