/**
 * Jepsen-style harness for the real kv-store processes: concurrent HTTP clients against random
 * running replicas record invoke/ok/fail/info with HistoryRecorder, while a nemesis cuts links at the
 * transport (`/links/<peer>/cut|heal`), SIGKILLs replicas and restarts them from their data folder.
 */
import { Prng } from '@omnipaxos/core';
import { HistoryRecorder, type KvOperation, type KvResult } from '@omnipaxos/simulator';
import type { ProcessCluster } from './cluster-harness.js';

/** Outcome is how one HTTP operation ended, in Jepsen's terms. */
export type Outcome = { type: 'ok'; result?: KvResult } | { type: 'fail' } | { type: 'info' };

/** mulberry32 returns a seeded random source (core's Prng), so a run's choices are repeatable (timings are not). */
export function mulberry32(seed: number): () => number {
  const generator = new Prng(seed);
  return () => generator.next();
}

/** sleep waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * perform sends `op` to the replica at `url`. A 200 is `ok` with the result the checker needs; a 4xx
 * is a definite rejection (`fail`: the request was refused before anything was appended); a 5xx, a
 * timeout or a connection error is `info` (the command may have been appended and decided anyway).
 */
export async function perform(url: string, op: KvOperation, timeoutMs: number): Promise<Outcome> {
  const path = `/kv/${encodeURIComponent(op.key)}`;
  const req =
    op.f === 'put'
      ? { method: 'PUT', path, body: { value: op.value } }
      : op.f === 'get'
        ? { method: 'GET', path }
        : op.f === 'delete'
          ? { method: 'DELETE', path }
          : { method: 'POST', path: `${path}/cas`, body: { expected: op.expected, value: op.value } };
  let res: Response;
  let json: { value?: string | null; ok?: boolean };
  try {
    res = await fetch(`${url}${req.path}`, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    json = (await res.json()) as typeof json;
  } catch {
    return { type: 'info' };
  }
  if (res.status >= 400 && res.status < 500) return { type: 'fail' };
  if (res.status !== 200) return { type: 'info' };
  if (op.f === 'get') return { type: 'ok', result: json.value ?? undefined };
  if (op.f === 'cas') return typeof json.ok === 'boolean' ? { type: 'ok', result: json.ok } : { type: 'info' };
  return { type: 'ok' };
}

/** WorkloadOptions shape the clients of one history. */
export interface WorkloadOptions {
  /** Concurrent clients (each has at most one operation in flight). */
  clients: number;
  /** Keys per history (all prefixed with the history's name). */
  keys: number;
  /** Per-request timeout; a timed-out request is recorded as `info`. */
  timeoutMs: number;
  seed: number;
}

/**
 * JepsenRun drives one history: `startClients` launches the client loops against the replicas in
 * `up` (random choice per operation), `stop` ends them and completes what is still pending as info.
 */
export class JepsenRun {
  readonly recorder: HistoryRecorder;
  /** Replicas the clients may pick; the nemesis removes a replica before killing it. */
  readonly up: Set<number>;
  /** Faults injected during this history, in order (for the report). */
  readonly faults: string[] = [];
  private readonly cutLinks = new Set<string>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly rng: () => number;
  /** Recent values written per key, so that cas operations have a fair chance to swap. */
  private readonly recent = new Map<string, string[]>();

  constructor(
    readonly cluster: ProcessCluster,
    readonly name: string,
    readonly options: WorkloadOptions,
  ) {
    this.recorder = new HistoryRecorder({ idPrefix: `${name}-` });
    this.up = new Set(cluster.nodes);
    this.rng = mulberry32(options.seed);
  }

  /** pick returns a random element of `xs`. */
  pick<X>(xs: readonly X[]): X {
    const x = xs[Math.floor(this.rng() * xs.length)];
    if (x === undefined) throw new RangeError('pick from an empty list');
    return x;
  }

  private nextOp(client: number, n: number): KvOperation {
    const key = `${this.name}-k${Math.floor(this.rng() * this.options.keys)}`;
    const value = `c${client}-${n}`;
    const r = this.rng();
    if (r < 0.35) return { f: 'get', key };
    if (r < 0.45) return { f: 'delete', key };
    const recent = this.recent.get(key) ?? [];
    if (r < 0.7 && recent.length > 0) return { f: 'cas', key, expected: this.pick(recent), value };
    recent.push(value);
    if (recent.length > 4) recent.shift();
    this.recent.set(key, recent);
    return { f: 'put', key, value };
  }

  private async clientLoop(client: number): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const pids = [...this.up];
      if (pids.length === 0) {
        await sleep(50);
        continue;
      }
      const url = this.cluster.urls.get(this.pick(pids)) ?? 'http://127.0.0.1:1';
      const op = this.nextOp(client, n);
      const id = this.recorder.invoke(client, op);
      const out = await perform(url, op, this.options.timeoutMs);
      if (out.type === 'ok') {
        this.recorder.ok(id, out.result);
        if (op.f === 'get' && out.result !== undefined) this.recent.set(op.key, [...(this.recent.get(op.key) ?? []), String(out.result)].slice(-4));
      } else {
        if (out.type === 'fail') this.recorder.fail(id);
        else this.recorder.info(id);
        await sleep(20 + this.rng() * 80);
      }
    }
  }

  /** startClients launches the client loops. */
  startClients(): void {
    this.loops = Array.from({ length: this.options.clients }, (_, i) => this.clientLoop(i + 1));
  }

  /** stop ends the client loops (each finishes its operation, bounded by the request timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.recorder.closeAllAsInfo();
  }

  /** leader asks a running replica whom it follows (undefined when none answers with a leader). */
  async leader(): Promise<number | undefined> {
    for (const pid of this.up) {
      try {
        const l = (await this.cluster.client(pid).status()).leader;
        if (l !== null && this.up.has(l)) return l;
      } catch {
        // try the next replica
      }
    }
    return undefined;
  }

  private async link(a: number, b: number, action: 'cut' | 'heal'): Promise<void> {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      if (!this.up.has(x)) continue;
      const res = await fetch(`${this.cluster.urls.get(x) ?? ''}/links/${y}/${action}`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`${action} ${x}->${y}: ${res.status}`);
    }
  }

  /** cut cuts the link between replicas `a` and `b` at both ends. */
  async cut(a: number, b: number): Promise<void> {
    await this.link(a, b, 'cut');
    this.cutLinks.add(`${Math.min(a, b)}-${Math.max(a, b)}`);
    this.faults.push(`cut ${a}-${b}`);
  }

  /** healAll heals every link cut so far. */
  async healAll(): Promise<void> {
    for (const l of this.cutLinks) {
      const [a, b] = l.split('-').map(Number) as [number, number];
      await this.link(a, b, 'heal');
    }
    if (this.cutLinks.size > 0) this.faults.push('heal all');
    this.cutLinks.clear();
  }

  /** kill SIGKILLs replica `pid` (clients stop picking it first; requests in flight end as info). */
  async kill(pid: number): Promise<void> {
    this.up.delete(pid);
    this.faults.push(`SIGKILL ${pid}`);
    await this.cluster.kill(pid);
  }

  /** restart starts replica `pid` again from its data folder and re-applies the cuts that touch it. */
  async restart(pid: number): Promise<void> {
    await this.cluster.start(pid);
    for (const l of this.cutLinks) {
      const [a, b] = l.split('-').map(Number) as [number, number];
      if (a === pid || b === pid) {
        const res = await fetch(`${this.cluster.urls.get(pid) ?? ''}/links/${a === pid ? b : a}/cut`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
        if (!res.ok) throw new Error(`re-cut at ${pid}: ${res.status}`);
      }
    }
    this.up.add(pid);
    this.faults.push(`restart ${pid}`);
  }

  /** waitForService waits (bounded) until a read through some running replica succeeds: the cluster serves again. */
  async waitForService(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const pid of this.up) {
        const out = await perform(this.cluster.urls.get(pid) ?? '', { f: 'get', key: `${this.name}-probe` }, 2_000);
        if (out.type === 'ok') return true;
      }
      await sleep(100);
    }
    return false;
  }
}
