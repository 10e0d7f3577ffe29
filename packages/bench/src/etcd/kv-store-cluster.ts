/**
 * Our side of compare-etcd: the examples/kv-store service as 3 processes on loopback (durable SQLite
 * storage in a temp folder), started with the example's own `spawnReplica`, written to over its HTTP
 * JSON API with keep-alive connections.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplicaProcess, spawnReplica } from '../../../../examples/kv-store/src/cluster-process.js';
import { type PutFn, freePort, retryUntil } from './put-workload.js';

/** KvStoreCluster is a running 3-process kv-store and a put function aimed at its leader. */
export interface KvStoreCluster {
  /** The leader's HTTP base URL (followers would forward to it: one hop more). */
  leaderUrl: string;
  put: PutFn;
  stop(): Promise<void>;
}

/** requestJson sends one request over `agent` and resolves with the status and parsed body. */
function requestJson(agent: http.Agent, url: URL, method: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** stopProcesses sends SIGTERM, waits up to 5 s, then SIGKILLs what is left. */
async function stopProcesses(procs: ReplicaProcess[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGTERM');
  const timeout = new Promise((r) => setTimeout(r, 5_000).unref());
  await Promise.race([Promise.all(procs.map((p) => p.exited)), timeout]);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** startKvStore starts 3 replicas, waits for a leader and a first acknowledged put. */
export async function startKvStore(): Promise<KvStoreCluster> {
  const nodes = [1, 2, 3];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kv-'));
  const taken = new Set<number>();
  const replicationPorts: Record<number, number> = {};
  for (const p of nodes) replicationPorts[p] = await freePort(21_000, taken);
  const procs = nodes.map((pid) => spawnReplica({ pid, nodes, replicationPorts, httpPort: 0, dataDir }));
  const stop = async (): Promise<void> => {
    await stopProcesses(procs);
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    for (const p of procs) p.child.kill('SIGKILL');
  });
  try {
    const urls = await Promise.all(procs.map((p) => p.ready));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
    const leaderUrl = await retryUntil('a kv-store leader', async () => {
      const { json } = await requestJson(agent, new URL('/status', urls[0]), 'GET');
      const leader = (json as { leader?: number | null }).leader;
      const url = typeof leader === 'number' ? urls[nodes.indexOf(leader)] : undefined;
      if (url === undefined) throw new Error('no leader yet');
      return url;
    }, 60_000);
    const put: PutFn = async (key, value) => {
      const { status, json } = await requestJson(agent, new URL(`/kv/${encodeURIComponent(key)}`, leaderUrl), 'PUT', JSON.stringify({ value }));
      if (status !== 200) throw new Error(`put ${key}: ${status} ${JSON.stringify(json)}`);
    };
    await retryUntil('a first kv-store put', () => put('hello', 'world'), 30_000);
    return {
      leaderUrl,
      put,
      stop: async () => {
        agent.destroy();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
