import { KvClient, type KvCredentials } from '../client.js';
import { KvTcpClient } from '../tcp-client.js';
import type { SeriesPoint, WorkloadMode } from './scope-model.js';

/** ClientAddress is where a replica's native client protocol listens. */
export interface ClientAddress {
  host: string;
  port: number;
}

/** WorkloadTarget names one replica: its pid, HTTP URL and (when known) its native client address. */
export interface WorkloadTarget {
  pid: number;
  url: string;
  client: () => ClientAddress | undefined;
}

interface Operations {
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
}

/** Per mode: concurrent workers, and the pause after each operation of one worker (ms). */
const SHAPES: Record<Exclude<WorkloadMode, 'off'>, { workers: number; pauseMs: number }> = {
  steady: { workers: 2, pauseMs: 20 },
  burst: { workers: 32, pauseMs: 0 },
};

/**
 * ScopeWorkload drives the cluster with puts and gets (2:1) on 100 keys over random replicas, through
 * the native client where a replica's client address is known (HTTP otherwise), and keeps one
 * latency bucket per second for the time series. A failed operation is counted; its worker pauses.
 */
export class ScopeWorkload {
  private mode: WorkloadMode = 'off';
  private generation = 0;
  private readonly native = new Map<number, { address: string; client: Promise<KvTcpClient> }>();
  private readonly http = new Map<number, KvClient>();
  private readonly buckets = new Map<number, { latencies: number[]; errors: number }>();
  private counter = 0;

  constructor(
    private readonly targets: WorkloadTarget[],
    private readonly credentials: KvCredentials = {},
  ) {}

  /** current is the running mode. */
  get current(): WorkloadMode {
    return this.mode;
  }

  /** set switches the workload (`off` stops it after the operations in flight). */
  set(mode: WorkloadMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    const generation = ++this.generation;
    if (mode === 'off') return;
    const shape = SHAPES[mode];
    for (let i = 0; i < shape.workers; i++) void this.worker(generation, shape.pauseMs);
  }

  /** point summarizes the operations that finished during the second starting at `second` (unix s). */
  point(second: number, decidedPerSec: number): SeriesPoint {
    const b = this.buckets.get(second);
    this.buckets.delete(second);
    for (const k of this.buckets.keys()) if (k < second - 5) this.buckets.delete(k);
    const lat = (b?.latencies ?? []).sort((x, y) => x - y);
    const at = (q: number) => (lat.length === 0 ? null : (lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? null));
    return { t: second, decidedPerSec, p50Ms: at(0.5), p99Ms: at(0.99), ops: lat.length, errors: b?.errors ?? 0 };
  }

  /** close stops the workload and closes its connections. */
  async close(): Promise<void> {
    this.set('off');
    await Promise.all([...this.native.values()].map((n) => n.client.then((c) => c.close(), () => undefined)));
    this.native.clear();
  }

  private bucket(): { latencies: number[]; errors: number } {
    const second = Math.floor(Date.now() / 1000);
    let b = this.buckets.get(second);
    if (b === undefined) this.buckets.set(second, (b = { latencies: [], errors: 0 }));
    return b;
  }

  private async operations(target: WorkloadTarget): Promise<Operations> {
    const address = target.client();
    if (address === undefined) {
      let c = this.http.get(target.pid);
      if (c === undefined) this.http.set(target.pid, (c = new KvClient(target.url, 5000, this.credentials)));
      return c;
    }
    const key = `${address.host}:${address.port}`;
    let entry = this.native.get(target.pid);
    if (entry === undefined || entry.address !== key) {
      const token = this.credentials.token;
      const client = KvTcpClient.connect(address.host, address.port, { timeoutMs: 5000, connectTimeoutMs: 1000, ...(token !== undefined ? { token } : {}) });
      client.catch(() => undefined);
      this.native.set(target.pid, (entry = { address: key, client }));
    }
    try {
      return await entry.client;
    } catch (err) {
      this.native.delete(target.pid); // reconnect on the next operation
      throw err;
    }
  }

  private async worker(generation: number, pauseMs: number): Promise<void> {
    while (this.generation === generation) {
      const target = this.targets[Math.floor(Math.random() * this.targets.length)];
      if (target === undefined) return;
      const n = this.counter++;
      const t0 = performance.now();
      try {
        const ops = await this.operations(target);
        if (n % 3 === 2) await ops.get(`scope${n % 100}`);
        else await ops.put(`scope${n % 100}`, `v${n}`);
        this.bucket().latencies.push(performance.now() - t0);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      } catch {
        this.bucket().errors++;
        const entry = this.native.get(target.pid);
        if (entry !== undefined) {
          this.native.delete(target.pid);
          void entry.client.then((c) => c.close(), () => undefined);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
