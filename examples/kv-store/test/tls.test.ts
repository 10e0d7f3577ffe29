import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertFactory, opensslAvailable } from '../../../packages/transport-tcp/test/tls-certs.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

describe.skipIf(!opensslAvailable())('kv-store: replicas over mutual TLS (--tls-ca --tls-cert --tls-key)', () => {
  const certs = new CertFactory();
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(async () => {
    await cluster.stopAll();
    certs.dispose();
  });

  it('replicates between cluster members and refuses a replica whose certificate is from another CA', async () => {
    const file = (name: string, text: string) => {
      const path = join(certs.dir, name);
      writeFileSync(path, text);
      return path;
    };
    const ca = file('cluster-ca.pem', certs.ca('cluster-ca').cert);
    const strangerCa = certs.ca('stranger-ca');
    for (const pid of [1, 2]) {
      const leaf = certs.leaf(`node${pid}`, 'cluster-ca', pid);
      cluster.tls.set(pid, { ca, cert: file(`n${pid}.crt.pem`, leaf.cert), key: file(`n${pid}.key.pem`, leaf.key) });
    }
    const stranger = certs.leaf('node3', 'stranger-ca', 3);
    cluster.tls.set(3, { ca: file('stranger-ca.pem', strangerCa.cert), cert: file('n3.crt.pem', stranger.cert), key: file('n3.key.pem', stranger.key) });
    await cluster.startAll();

    // 1 and 2 form a majority over TLS; 3 (a stranger) is refused and never joins.
    const w = await eventually('a write through 2', () => cluster.client(2).put('secret', 's'), 30_000);
    expect((await cluster.client(1).get('secret')).value).toBe('s');
    const s1 = await cluster.client(1).status();
    expect(s1.links['2']).toBe('connected');
    expect(s1.links['3']).not.toBe('connected');
    const s3 = await cluster.client(3).status();
    expect(w.idx).toBeGreaterThanOrEqual(0);
    expect(s3.decidedIdx).toBe(0); // nothing reached it
    expect(Object.values(s3.links).filter((l) => l === 'connected')).toEqual([]);
  }, 60_000);
});
