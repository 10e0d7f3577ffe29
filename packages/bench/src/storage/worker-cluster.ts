/**
 * worker-cluster runs one benchmark row with each of the 3 replicas in its own worker thread, so
 * their commits (fsyncs) overlap as on three machines. The main thread only wires the workers
 * together, starts the load on the elected leader and reads counters; it never touches the replicas.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { FromWorker, ReplicaWorkerData, ToWorker, WorkerStats } from './protocol.js';
import type { Row, RowOptions } from './row.js';

const WORKER_URL = new URL('./replica-worker.ts', import.meta.url);
/**
 * WORKER_BOOT loads the TypeScript worker entry through tsx's ESM API. On Node 20 a worker's
 * `--import tsx` hooks are not in place yet when its entry file loads ("Unknown file extension .ts"),
 * so a tiny module registers them first and then imports the entry.
 */
const WORKER_BOOT = new URL(
  `data:text/javascript,import{register}from${JSON.stringify(import.meta.resolve('tsx/esm/api'))};` +
    `register();await import(${JSON.stringify(WORKER_URL.href)});`,
);
/**
 * TICK_MS is the wall-clock tick: 5 ticks per heartbeat round, so a leader survives disk stalls of
 * about 250 ms (this shared VM has them) without an election in the middle of a row.
 */
const TICK_MS = 50;


/** Cluster is the main thread's handle on the 3 workers. */
class Cluster {
  private readonly workers = new Map<number, Worker>();
  private readonly waiters: ((m: FromWorker, pid: number) => boolean)[] = [];
  private failure: Error | undefined;

  constructor(opts: RowOptions) {
    const ports = new Map<number, Record<number, MessagePort>>(opts.nodes.map((p) => [p, {}]));
    for (const a of opts.nodes) {
      for (const b of opts.nodes) {
        if (a >= b) continue;
        const { port1, port2 } = new MessageChannel();
        (ports.get(a) as Record<number, MessagePort>)[b] = port1;
        (ports.get(b) as Record<number, MessagePort>)[a] = port2;
      }
    }
    for (const pid of opts.nodes) {
      const peers = ports.get(pid) as Record<number, MessagePort>;
      const workerData: ReplicaWorkerData = {
        pid,
        nodes: opts.nodes,
        path: join(opts.dir, `workers-${opts.inFlight}-${pid}.sqlite`),
        synchronous: opts.synchronous,
        tickMs: TICK_MS,
        peers,
      };
      const w = new Worker(WORKER_BOOT, {
        workerData,
        transferList: Object.values(peers),
        execArgv: ['--conditions=source'],
      });
      w.on('message', (m: FromWorker) => this.dispatch(m, pid));
      w.on('error', (err) => this.dispatch({ type: 'error', message: String(err.stack ?? err) }, pid));
      this.workers.set(pid, w);
    }
  }

  private dispatch(m: FromWorker, pid: number): void {
    if (m.type === 'error') this.failure ??= new Error(m.message);
    for (let i = 0; i < this.waiters.length; i++) {
      if ((this.waiters[i] as (m: FromWorker, pid: number) => boolean)(m, pid)) {
        this.waiters.splice(i, 1);
        return;
      }
    }
  }

  /** waitFor resolves with the first report `match` accepts; rejects on a worker error or timeout. */
  waitFor<X>(match: (m: FromWorker, pid: number) => X | undefined, timeoutMs: number): Promise<X> {
    return new Promise<X>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure ?? new Error('storage bench: workers timed out')), timeoutMs);
      const check = setInterval(() => {
        if (this.failure) reject(this.failure);
      }, 50);
      this.waiters.push((m, pid) => {
        const x = match(m, pid);
        if (x === undefined) return false;
        clearTimeout(timer);
        clearInterval(check);
        resolve(x);
        return true;
      });
    });
  }

  send(pid: number, m: ToWorker): void {
    this.workers.get(pid)?.postMessage(m);
  }

  /** stats reads every worker's counters. */
  async stats(): Promise<Map<number, WorkerStats>> {
    const out = new Map<number, WorkerStats>();
    const done = this.waitFor((m) => {
      if (m.type !== 'stats') return undefined;
      out.set(m.stats.pid, m.stats);
      return out.size === this.workers.size ? true : undefined;
    }, 30_000);
    for (const pid of this.workers.keys()) this.send(pid, { type: 'stats' });
    await done;
    return out;
  }

  /** stop closes every replica's storage and ends the workers. */
  async stop(): Promise<void> {
    for (const [pid, w] of this.workers) {
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      this.send(pid, { type: 'stop' });
      await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000))]);
      await w.terminate();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** runWorkerRow measures durable decided entries/s with `inFlight` proposals kept in flight. */
export async function runWorkerRow(opts: RowOptions): Promise<Row> {
  const cluster = new Cluster(opts);
  try {
    const leader = await cluster.waitFor((m) => (m.type === 'leader' ? m.pid : undefined), 60_000);
    for (const pid of opts.nodes) cluster.send(pid, { type: 'load', inFlight: opts.inFlight, payload: opts.payload });
    await sleep(opts.warmupMs);
    const before = await cluster.stats();
    await sleep(opts.measureMs);
    const after = await cluster.stats();
    const a = after.get(leader) as WorkerStats;
    const b = before.get(leader) as WorkerStats;
    const secs = (a.at - b.at) / 1000;
    let commits = 0;
    for (const pid of opts.nodes) commits += (after.get(pid) as WorkerStats).commits - (before.get(pid) as WorkerStats).commits;
    const entries = a.reported - b.reported;
    const leaderChanged = [...after.values()].some((s) => s.leader !== leader);
    return {
      inFlight: opts.inFlight,
      entriesPerSec: Math.round(entries / secs),
      commitsPerSec: Math.round(commits / secs),
      entriesPerCommit: Math.round((entries / Math.max(1, commits)) * 10) / 10,
      loopsPerSec: Math.round((a.batches - b.batches) / secs),
      note: leaderChanged ? 'leader changed during the row' : '',
    };
  } finally {
    await cluster.stop();
  }
}
