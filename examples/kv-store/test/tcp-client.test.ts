import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameDecoder, decodePayload, encodeFrame } from '@omnipaxos/transport-tcp';
import { KvTcpClient } from '../src/tcp-client.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

describe('kv-store: the native client protocol against three replica processes', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  const clients: KvTcpClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stopAll();
  });

  /** connect opens a KvTcpClient to replica `pid`'s client port (from its ready line). */
  const connect = async (pid: number): Promise<KvTcpClient> => {
    const info = await cluster.procs.get(pid)!.readyInfo;
    const c = await KvTcpClient.connect(info.clientHost, info.clientPort);
    clients.push(c);
    return c;
  };

  it('serves every op through leader and follower, pipelines, survives bad frames, rejects pending on a kill', async () => {
    await cluster.startAll();
    const leader = await eventually('a leader all replicas agree on', async () => {
      const leaders = await Promise.all(cluster.nodes.map(async (p) => (await cluster.client(p).status()).leader));
      if (leaders[0] === null || leaders.some((l) => l !== leaders[0])) throw new Error(`leaders ${leaders.join(',')}`);
      return leaders[0]!;
    });
    const follower = cluster.nodes.find((p) => p !== leader)!;
    const other = cluster.nodes.find((p) => p !== leader && p !== follower)!;
    const toLeader = await connect(leader);
    const toFollower = await connect(follower);

    // Round trip through both; a follower's writes are forwarded, reads see the leader's writes.
    // The status comes from the replica asked (its leader may have changed since, on a loaded machine).
    expect((await toLeader.status()).pid).toBe(leader);
    expect(await toFollower.put('a', '1')).toMatchObject({ op: 'put', previous: null });
    expect(await toLeader.get('a')).toMatchObject({ op: 'get', value: '1' });
    expect(await toLeader.put('a', '2')).toMatchObject({ op: 'put', previous: '1' });
    expect(await toFollower.get('a')).toMatchObject({ op: 'get', value: '2' });
    expect(await toFollower.cas('a', '2', '3')).toMatchObject({ op: 'cas', ok: true, current: '3' });
    expect(await toLeader.cas('a', '2', '4')).toMatchObject({ op: 'cas', ok: false, current: '3' });
    expect(await toLeader.delete('a')).toMatchObject({ op: 'delete', existed: true });
    expect(await toFollower.delete('a')).toMatchObject({ op: 'delete', existed: false });
    expect((await cluster.client(other).get('a')).value).toBeNull(); // the HTTP API sees the same store

    // 200 puts in flight on one connection: every one acknowledged, each at its own log index.
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => toLeader.put(`p${i}`, `v${i}`)));
    expect(new Set(acks.map((a) => a.idx)).size).toBe(200);
    expect((await toFollower.get('p199')).value).toBe('v199');

    // A malformed frame closes that connection only (after an error with id -1); a bad request gets an error.
    const info = await cluster.procs.get(leader)!.readyInfo;
    const raw = net.connect({ host: info.clientHost, port: info.clientPort });
    const answers: unknown[] = [];
    const decoder = new FrameDecoder(1 << 20);
    raw.on('data', (c: Buffer) => {
      for (const f of decoder.push(c).frames) answers.push(decodePayload(f));
    });
    const rawClosed = new Promise<void>((r) => raw.once('close', () => r()));
    raw.write(encodeFrame(Buffer.from([0xc1])));
    await rawClosed;
    expect(answers).toEqual([expect.objectContaining({ id: -1, code: 'bad-request' })]);
    await expect(toLeader.cas('a', 'x', null)).resolves.toMatchObject({ op: 'cas', ok: false });
    const badKey = await toLeader.put(7 as unknown as string, 'v').catch((e: unknown) => e);
    expect(badKey).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/needs a key/) });
    expect(await toLeader.get('p0')).toMatchObject({ value: 'v0' });

    // Without a quorum the leader's puts stay pending; SIGKILL it and they all reject with a clear error.
    await cluster.kill(follower);
    await cluster.kill(other);
    const pending = Array.from({ length: 5 }, (_, i) => toLeader.put(`lost${i}`, 'x').catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 300));
    expect(toLeader.pendingCount).toBe(5);
    await cluster.kill(leader);
    for (const err of await Promise.all(pending)) {
      expect(err).toMatchObject({ code: 'closed', message: expect.stringMatching(/connection to 127\.0\.0\.1:\d+ closed/) });
    }
    await expect(toLeader.get('a')).rejects.toMatchObject({ code: 'closed' });
  });
});
