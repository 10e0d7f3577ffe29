import { mkdtempSync, rmSync } from 'node:fs';
import { canListen } from '../src/launch-support.js';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvClient } from '../src/client.js';
import { type ReplicaProcess, type ReplicaSpec, spawnReplica } from '../src/cluster-process.js';

let nextPort = 20_000 + (process.pid % 500) * 20;

/**
 * replicationPort finds a free port below Linux's ephemeral range (32768+), so that no outgoing
 * connection can take it between this check and the replica's listen. HTTP ports are 0 (reported).
 */
export async function replicationPort(): Promise<number> {
  for (;;) {
    const port = nextPort++;
    if (await canListen(port)) return port;
  }
}

/**
 * loadFactor is how much slower than an idle machine this one runs now, measured: the 1-minute load
 * average per core, at least 1 (the same measure as the kill -9 test's).
 */
export function loadFactor(): number {
  return Math.min(50, Math.max(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length)));
}

/** scaled is a test's own time bound (vitest's timeout) grown by the current loadFactor: for a stuck run only. */
export function scaled(ms: number): number {
  return Math.round(ms * loadFactor());
}

/**
 * eventually retries `check` until it passes or `budgetMs` of idle-machine time runs out: each retry's
 * real interval counts divided by the current loadFactor, so a loaded machine waits proportionally
 * longer (processes share no events with us; a bound for a stuck run, not a timing assertion).
 */
export async function eventually<R>(what: string, check: () => Promise<R>, budgetMs = 30_000): Promise<R> {
  let spent = 0;
  let last = Date.now();
  let failure: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      failure = err;
    }
    const now = Date.now();
    spent += (now - last) / loadFactor();
    last = now;
    if (spent > budgetMs) throw new Error(`${what}: ${String(failure)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ProcessCluster runs one replica process per pid on loopback, with a temporary data folder. */
export class ProcessCluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'kv-e2e-'));
  readonly procs = new Map<number, ReplicaProcess>();
  readonly urls = new Map<number, string>();
  readonly specs = new Map<number, ReplicaSpec>();
  /** Extra server flags per pid, after `serverArgs` (set before `startAll` or a `start`). */
  readonly serverArgsFor = new Map<number, string[]>();
  /** TLS files per pid (set before `startAll`): replicas then talk mutual TLS. */
  readonly tls = new Map<number, { ca: string; cert: string; key: string }>();
  /** Extra server flags for every replica (set before `startAll`), e.g. `--users` or `--client-tls-cert`. */
  serverArgs: string[] = [];

  constructor(
    readonly nodes: number[],
    /** Extra node flags for every replica process. */
    readonly nodeArgs: string[] = [],
  ) {}

  /** startAll picks replication ports and starts every replica. */
  async startAll(): Promise<void> {
    const replicationPorts: Record<number, number> = {};
    for (const p of this.nodes) replicationPorts[p] = await replicationPort();
    for (const pid of this.nodes) {
      const tls = this.tls.get(pid);
      this.specs.set(pid, { pid, nodes: this.nodes, replicationPorts, httpPort: 0, dataDir: this.dataDir, nodeArgs: this.nodeArgs, serverArgs: this.serverArgs, ...(tls ? { tls } : {}) });
    }
    await Promise.all(this.nodes.map((p) => this.start(p)));
  }

  /**
   * addJoining starts a new replica `pid` that joins configuration `configurationId` (with `nodes`) by
   * reconfiguration; it knows every replica's address. Returns its replication port.
   */
  async addJoining(pid: number, nodes: number[], configurationId: number): Promise<number> {
    const replicationPorts: Record<number, number> = { ...(this.specs.values().next().value?.replicationPorts ?? {}) };
    replicationPorts[pid] = await replicationPort();
    this.specs.set(pid, { pid, nodes, replicationPorts, httpPort: 0, dataDir: this.dataDir, nodeArgs: this.nodeArgs, configurationId, joining: true });
    await this.start(pid);
    return replicationPorts[pid] ?? 0;
  }

  /** start (re)starts replica `pid` from its data folder. */
  async start(pid: number): Promise<void> {
    const spec = this.specs.get(pid);
    if (spec === undefined) throw new Error(`no spec for ${pid}`);
    const proc = spawnReplica({ ...spec, serverArgs: [...(spec.serverArgs ?? []), ...(this.serverArgsFor.get(pid) ?? [])] });
    this.procs.set(pid, proc);
    this.urls.set(pid, await proc.ready);
  }

  /** kill SIGKILLs replica `pid` and waits for it to exit. */
  async kill(pid: number): Promise<void> {
    const proc = this.procs.get(pid);
    proc?.child.kill('SIGKILL');
    await proc?.exited;
    this.procs.delete(pid);
  }

  /** client talks to replica `pid`. */
  client(pid: number): KvClient {
    return new KvClient(this.urls.get(pid) ?? 'http://127.0.0.1:1');
  }

  /** stopAll kills every replica and deletes the data folder. */
  async stopAll(): Promise<void> {
    for (const p of this.procs.values()) p.child.kill('SIGKILL');
    await Promise.all([...this.procs.values()].map((p) => p.exited));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
