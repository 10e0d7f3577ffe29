/**
 * etcd's side of compare-etcd: finds (or, as root, installs) the Debian `etcd-server` 3.4 binary,
 * starts 3 members on loopback with their data in a temp folder, and talks to the leader with the
 * `etcd3` npm client. Every step that cannot be done returns a reason instead of numbers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { type PutFn, freePort, retryUntil } from './put-workload.js';

/** EtcdCluster is 3 running etcd members and a put function aimed at the leader. */
export interface EtcdCluster {
  version: string;
  leaderEndpoint: string;
  /** The operating-system process ids of the 3 members (for their CPU time). */
  osPids: number[];
  /** put writes through the `etcd3` npm client (one gRPC channel to the leader). */
  put: PutFn;
  /** openPuts opens `n` more `etcd3` clients to the leader, each on its own connection, one put function each. */
  openPuts(n: number): Promise<{ puts: PutFn[]; close(): Promise<void> }>;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

function findEtcd(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'etcd'));
  return [...CANDIDATES, ...onPath].find((p) => existsSync(p));
}

function versionOf(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/**
 * ensureEtcd returns the path and version of an etcd 3.4 binary, installing the Debian package
 * `etcd-server` with apt-get when it is missing and we run as root; otherwise a reason to skip.
 */
export function ensureEtcd(log: (line: string) => void): { bin: string; version: string } | string {
  let bin = findEtcd();
  if (bin === undefined) {
    if (process.getuid?.() !== 0) return 'etcd is not installed and this is not root (install the Debian package etcd-server)';
    log('etcd not found: installing the Debian package etcd-server (apt-get update && apt-get install -y etcd-server) ...');
    try {
      execFileSync('sh', ['-c', 'apt-get update && apt-get install -y etcd-server'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 180_000,
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-2).join(' ') ?? '';
      return `apt-get install etcd-server failed (${stderr || (err instanceof Error ? err.message : String(err))})`;
    }
    bin = findEtcd();
    if (bin === undefined) return 'etcd-server was installed but no etcd binary was found';
  }
  const version = versionOf(bin);
  if (!version.startsWith('3.4.')) log(`note: etcd ${version} found, the comparison targets 3.4`);
  return { bin, version };
}

async function stopChildren(children: ChildProcess[]): Promise<void> {
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
  for (const c of children) c.kill('SIGTERM');
  await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 5_000).unref())]);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(exited);
}

/**
 * startEtcd starts 3 members (`m1`..`m3`) on loopback, data under a fresh temp folder (fsync on, the
 * default), waits until a put is acknowledged, and finds the leader's client endpoint.
 */
export async function startEtcd(bin: string, version: string): Promise<EtcdCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
  const taken = new Set<number>();
  const members = [];
  for (let i = 1; i <= 3; i++) members.push({ name: `m${i}`, client: await freePort(23_790, taken), peer: await freePort(23_800, taken) });
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const stderr: string[] = [];
  const children = members.map((m) => {
    const child = spawn(bin, [
      '--name', m.name, '--data-dir', join(dataDir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initialCluster, '--initial-cluster-token', 'bench-compare', '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => {
      stderr.push(c.toString());
      if (stderr.length > 20) stderr.shift();
    });
    return child;
  });
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  const clients: Etcd3[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.close();
    await stopChildren(children);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
    for (const e of endpoints) clients.push(new Etcd3({ hosts: e }));
    const leaderEndpoint = await retryUntil('an etcd leader', async () => {
      if (children.some((c) => c.exitCode !== null)) throw new Error(`an etcd member exited: ${stderr.join('').slice(-500)}`);
      const first = clients[0];
      if (first === undefined) throw new Error('no client');
      await first.put('hello').value('world');
      for (const [i, c] of clients.entries()) {
        const s = await c.maintenance.status();
        if (s.leader === s.header.member_id) return endpoints[i] ?? '';
      }
      throw new Error('no member reports itself leader');
    }, 30_000);
    // The clients that found the leader go; one stays, aimed at it.
    for (const c of clients.splice(0)) c.close();
    const leader = new Etcd3({ hosts: leaderEndpoint });
    clients.push(leader);
    const put: PutFn = async (key, value) => {
      await leader.put(key).value(value);
    };
    const openPuts = async (n: number): Promise<{ puts: PutFn[]; close(): Promise<void> }> => {
      // A local subchannel pool gives each client its own connection (grpc-js shares one per target by default).
      const extra = Array.from({ length: n }, () => new Etcd3({ hosts: leaderEndpoint, grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } }));
      return {
        puts: extra.map((c) => async (key: string, value: string) => {
          await c.put(key).value(value);
        }),
        close: async () => {
          for (const c of extra) c.close();
        },
      };
    };
    return { version, leaderEndpoint, osPids: children.map((c) => c.pid ?? -1), put, openPuts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
