/**
 * Our side of compare-etcd: the examples/kv-store service as 3 processes on loopback (durable SQLite
 * storage in a temp folder), started with the example's own `spawnReplica`, written to over its native
 * TCP client protocol (`KvTcpClient`: one pipelined connection, as etcd is driven over its native gRPC
 * client), aimed at the leader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplicaProcess, spawnReplica } from '../../../../examples/kv-store/src/cluster-process.js';
import { KvTcpClient, KvTcpError } from '../../../../examples/kv-store/src/tcp-client.js';
import { type PutFn, freePort, retryUntil } from './put-workload.js';

/** KvStoreCluster is a running 3-process kv-store and a put function aimed at its leader. */
export interface KvStoreCluster {
  /** The leader's HTTP base URL (for information; puts go over the client protocol). */
  leaderUrl: string;
  /** The leader's pid and client-protocol address `host:port`, where `put` writes. */
  leaderPid: number;
  leaderClient: string;
  /** The operating-system process ids of the 3 replicas (for their CPU time). */
  osPids: number[];
  put: PutFn;
  /** openPuts opens `n` more connections to the leader, one put function each, and a way to close them. */
  openPuts(n: number): Promise<{ puts: PutFn[]; close(): Promise<void> }>;
  stop(): Promise<void>;
}

/** stopProcesses sends SIGTERM, waits up to 5 s, then SIGKILLs what is left. */
async function stopProcesses(procs: ReplicaProcess[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGTERM');
  const timeout = new Promise((r) => setTimeout(r, 5_000).unref());
  await Promise.race([Promise.all(procs.map((p) => p.exited)), timeout]);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/**
 * agreedLeader asks every replica for its status and returns the leader when all of them name the same
 * one and have promised its ballot (so it finished its prepare phase); otherwise it throws.
 */
async function agreedLeader(clients: Map<number, KvTcpClient>): Promise<number> {
  const statuses = await Promise.all([...clients.values()].map((c) => c.status()));
  const leader = statuses[0]?.leader ?? null;
  if (leader === null || !clients.has(leader)) throw new Error('no leader yet');
  for (const s of statuses) {
    if (s.leader !== leader) throw new Error(`replicas disagree on the leader (${statuses.map((x) => `${x.pid}→${x.leader}`).join(', ')})`);
    if (s.ballot?.pid !== leader) throw new Error(`replica ${s.pid} has not promised leader ${leader}'s ballot yet`);
  }
  return leader;
}

/** stableLeader waits for `agreedLeader` to give the same answer on three polls in a row, 100 ms apart. */
async function stableLeader(clients: Map<number, KvTcpClient>, timeoutMs: number): Promise<number> {
  return retryUntil('one leader all three replicas agree on', async () => {
    const first = await agreedLeader(clients);
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const again = await agreedLeader(clients);
      if (again !== first) throw new Error(`leader moved from ${first} to ${again}`);
    }
    return first;
  }, timeoutMs);
}

/** startKvStore starts 3 replicas (with extra node flags `nodeArgs`, e.g. `--cpu-prof`), connects a client to each, finds the leader and waits for a first acknowledged put. */
export async function startKvStore(nodeArgs: string[] = []): Promise<KvStoreCluster> {
  const nodes = [1, 2, 3];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kv-'));
  const taken = new Set<number>();
  const replicationPorts: Record<number, number> = {};
  for (const p of nodes) replicationPorts[p] = await freePort(21_000, taken);
  const procs = nodes.map((pid) => spawnReplica({ pid, nodes, replicationPorts, httpPort: 0, dataDir, nodeArgs }));
  const clients = new Map<number, KvTcpClient>();
  const stop = async (): Promise<void> => {
    await Promise.all([...clients.values()].map((c) => c.close()));
    await stopProcesses(procs);
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    for (const p of procs) p.child.kill('SIGKILL');
  });
  try {
    const infos = await Promise.all(procs.map((p) => p.readyInfo));
    for (const [i, pid] of nodes.entries()) {
      const info = infos[i];
      if (info !== undefined) clients.set(pid, await KvTcpClient.connect(info.clientHost, info.clientPort));
    }
    let leader = await stableLeader(clients, 60_000);
    const put: PutFn = async (key, value) => {
      try {
        await clients.get(leader)!.put(key, value);
      } catch (err) {
        // A replica that knows another leader says so: switch to it and try there once.
        if (!(err instanceof KvTcpError) || err.leader === undefined || !clients.has(err.leader)) throw err;
        leader = err.leader;
        await clients.get(leader)!.put(key, value);
      }
    };
    await retryUntil('a first kv-store put', () => put('hello', 'world'), 30_000);
    leader = await stableLeader(clients, 30_000);
    const info = infos[nodes.indexOf(leader)];
    if (info === undefined) throw new Error(`no address for leader ${leader}`);
    const openPuts = async (n: number): Promise<{ puts: PutFn[]; close(): Promise<void> }> => {
      const extra: KvTcpClient[] = [];
      try {
        for (let i = 0; i < n; i++) extra.push(await KvTcpClient.connect(info.clientHost, info.clientPort));
      } catch (err) {
        await Promise.all(extra.map((c) => c.close()));
        throw err;
      }
      return { puts: extra.map((c) => (key: string, value: string) => c.put(key, value).then(() => undefined)), close: () => Promise.all(extra.map((c) => c.close())).then(() => undefined) };
    };
    return {
      leaderUrl: info.httpUrl,
      leaderPid: leader,
      leaderClient: `${info.clientHost}:${info.clientPort}`,
      osPids: procs.map((p) => p.child.pid ?? -1),
      put,
      openPuts,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
