import { Prng } from '@omnipaxos/core';
import type { KvClient } from './client.js';

/** WorkloadSummary is what a workload run reports. */
export interface WorkloadSummary {
  ops: number;
  errors: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
}

function mulberry32(seed: number): () => number {
  const generator = new Prng(seed);
  return () => generator.next();
}

/**
 * runWorkload sends `ops` operations (60% put, 30% get, 10% cas) over random replicas, `concurrency`
 * at a time, calling `progress(done)` after each; a failed operation is counted, not retried.
 */
export async function runWorkload(
  clients: KvClient[],
  ops: number,
  progress: (done: number, errors: number) => void,
  concurrency = 8,
  seed = 1,
): Promise<WorkloadSummary> {
  const rng = mulberry32(seed);
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const client = clients[Math.floor(rng() * clients.length)];
      if (client === undefined) return;
      const key = `key${Math.floor(rng() * 50)}`;
      const r = rng();
      const t0 = performance.now();
      try {
        if (r < 0.6) await client.put(key, `value${i}`);
        else if (r < 0.9) await client.get(key);
        else await client.cas(key, null, `created${i}`);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
      progress(latencies.length + errors, errors);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { ops, errors, elapsedMs: performance.now() - started, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** progressBar renders `[#####.....] done/total`. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
