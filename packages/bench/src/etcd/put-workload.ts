/**
 * The workload both systems get in compare-etcd: sequential puts (latency) and a fixed number of puts
 * kept in flight (throughput), through a `PutFn` that hides which client library is behind it.
 */
import { canListen } from '../../../../examples/kv-store/src/launch-support.js';

/** PutFn writes `value` under `key` and resolves once the store acknowledged it. */
export type PutFn = (key: string, value: string) => Promise<void>;

/**
 * WindowHooks are called when a measurement's window opens and closes, with the number of puts
 * acknowledged so far (warm-up included), so a caller can sample CPU time at the same moments.
 */
export interface WindowHooks {
  open(completed: number): void;
  close(completed: number): void;
}

/** LatencyResult summarizes sequential puts (milliseconds). */
export interface LatencyResult {
  puts: number;
  p50Ms: number;
  p99Ms: number;
}

/** ThroughputResult summarizes puts kept `inFlight` at a time for a while. */
export interface ThroughputResult {
  inFlight: number;
  puts: number;
  seconds: number;
  putsPerSec: number;
  errors: number;
}

/** percentile reads quantile `q` of sorted `xs` (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** valueOf returns a string value of exactly `bytes` ASCII bytes. */
export function valueOf(bytes: number): string {
  return 'v'.repeat(bytes);
}

/**
 * measureSequential issues `warmup` then `puts` puts one after the other (distinct keys from a pool of
 * 1,000) and reports the latency quantiles of the measured ones. A failed put throws.
 */
export async function measureSequential(put: PutFn, value: string, puts: number, warmup: number, hooks?: WindowHooks): Promise<LatencyResult> {
  const lat: number[] = [];
  for (let i = 0; i < warmup + puts; i++) {
    if (i === warmup) hooks?.open(i);
    const t0 = performance.now();
    await put(`seq-${i % 1000}`, value);
    if (i >= warmup) lat.push(performance.now() - t0);
  }
  hooks?.close(warmup + puts);
  lat.sort((a, b) => a - b);
  return { puts: lat.length, p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99) };
}

/**
 * measureThroughput keeps `inFlight` puts outstanding for `seconds` (after `warmupSeconds` of the
 * same load) and counts the puts acknowledged inside that window. Failed puts are counted apart. Given
 * several put functions (one per connection), put loop i uses `put[i mod length]`.
 */
export async function measureThroughput(put: PutFn | readonly PutFn[], value: string, inFlight: number, seconds: number, warmupSeconds: number, hooks?: WindowHooks): Promise<ThroughputResult> {
  const puts = typeof put === 'function' ? [put] : put;
  const measureFrom = performance.now() + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  let done = 0;
  let completed = 0;
  let errors = 0;
  let next = 0;
  // The window's edges fire on timers; whichever has not fired when the loops end fires then.
  let opened = false;
  let closed = false;
  const open = (): void => {
    if (!opened) hooks?.open(completed);
    opened = true;
  };
  const close = (): void => {
    open();
    if (!closed) hooks?.close(completed);
    closed = true;
  };
  const timers = [setTimeout(open, warmupSeconds * 1000), setTimeout(close, end - performance.now())];
  const worker = async (w: number): Promise<void> => {
    const p = puts[w % puts.length] as PutFn;
    while (performance.now() < end) {
      const i = next++;
      try {
        await p(`tp-${i % 1000}`, value);
        completed++;
        const now = performance.now();
        if (now >= measureFrom && now < end) done++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  for (const t of timers) clearTimeout(t);
  close();
  return { inFlight, puts: done, seconds, putsPerSec: done / seconds, errors };
}

/** freePort finds a free TCP port on 127.0.0.1 at or above `from`, below Linux's ephemeral range. */
export async function freePort(from: number, taken: Set<number> = new Set()): Promise<number> {
  for (let port = from; port < 32_768; port++) {
    if (taken.has(port)) continue;
    if (await canListen(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port from ${from}`);
}

/** retryUntil calls `attempt` until it resolves or `timeoutMs` passes (then throws its last error). */
export async function retryUntil<R>(what: string, attempt: () => Promise<R>, timeoutMs: number): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
}
