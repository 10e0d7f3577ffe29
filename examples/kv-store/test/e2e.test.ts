import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KvClient } from '../src/client.js';
import { type ReplicaProcess, type ReplicaSpec, spawnReplica } from '../src/cluster-process.js';

let nextPort = 20_000 + (process.pid % 500) * 20;

/**
 * replicationPort finds a free port below Linux's ephemeral range (32768+), so that no outgoing
 * connection can take it between this check and the replica's listen. HTTP ports are 0 (reported).
 */
async function replicationPort(): Promise<number> {
  for (;;) {
    const port = nextPort++;
    const server = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((r) => server.close(() => r()));
      return port;
    }
  }
}

/** eventually retries `check` until it passes or `timeoutMs` runs out (processes share no events with us). */
async function eventually<R>(what: string, check: () => Promise<R>, timeoutMs = 30_000): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kv-store: three replica processes on loopback', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kv-e2e-'));
  const procs = new Map<number, ReplicaProcess>();
  const urls = new Map<number, string>();
  const start = async (spec: ReplicaSpec): Promise<void> => {
    const proc = spawnReplica(spec);
    procs.set(spec.pid, proc);
    urls.set(spec.pid, await proc.ready);
  };
  afterAll(async () => {
    for (const p of procs.values()) p.child.kill('SIGKILL');
    await Promise.all([...procs.values()].map((p) => p.exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves reads and writes through every replica, survives a SIGKILLed leader and catches it up', async () => {
    const nodes = [1, 2, 3];
    const replicationPorts: Record<number, number> = {};
    for (const p of nodes) replicationPorts[p] = await replicationPort();
    const specs = new Map<number, ReplicaSpec>();
    for (const pid of nodes) specs.set(pid, { pid, nodes, replicationPorts, httpPort: 0, dataDir });
    await Promise.all([...specs.values()].map(start));
    const client = (pid: number) => new KvClient(urls.get(pid) ?? '');

    const leader = await eventually('a leader is elected', async () => {
      const l = (await client(1).status()).leader;
      if (l === null) throw new Error('no leader yet');
      return l;
    });

    // Writes through every replica (followers hand them to the leader), reads through every replica.
    const acknowledged = new Map<string, string>();
    for (const pid of nodes) {
      await client(pid).put(`k${pid}`, `v${pid}`);
      acknowledged.set(`k${pid}`, `v${pid}`);
    }
    for (const pid of nodes) expect((await client(pid).get('k1')).value).toBe('v1');
    expect((await client(2).cas('k3', 'v3', 'v3b')).ok).toBe(true);
    expect((await client(3).cas('k3', 'v3', 'nope')).ok).toBe(false);
    acknowledged.set('k3', 'v3b');
    expect((await client(1).delete('k2')).existed).toBe(true);
    acknowledged.delete('k2');

    // SIGKILL the leader; the other two keep serving and lose no acknowledged write.
    const killed = procs.get(leader);
    killed?.child.kill('SIGKILL');
    await killed?.exited;
    procs.delete(leader);
    const alive = nodes.filter((p) => p !== leader);
    const survivor = alive[0] ?? 0;
    for (let i = 0; i < 5; i++) {
      await eventually(`write ${i} after the leader died`, () => client(survivor).put(`after${i}`, String(i)));
      acknowledged.set(`after${i}`, String(i));
    }
    for (const pid of alive) {
      for (const [k, v] of acknowledged) expect((await client(pid).get(k)).value).toBe(v);
      expect((await client(pid).get('k2')).value).toBeNull();
    }

    // Restart it from its data folder: it recovers and catches up.
    const spec = specs.get(leader);
    if (spec === undefined) throw new Error('spec');
    await start(spec);
    const target = (await client(survivor).status()).decidedIdx;
    await eventually('the restarted replica catches up', async () => {
      const s = await client(leader).status();
      if (s.decidedIdx < target) throw new Error(`at ${s.decidedIdx} of ${target}`);
    }, 60_000);
    for (const [k, v] of acknowledged) expect((await client(leader).get(k)).value).toBe(v);
  });
});
