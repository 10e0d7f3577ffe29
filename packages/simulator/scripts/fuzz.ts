/**
 * fuzz runs many seeds of `runRandomFaults` (mixed faults, invariants checked every step, liveness
 * after healing) and prints each failing seed with its message. Usage:
 *
 *   pnpm fuzz --seeds 20000 [--from 1] [--max-sync-entries N]
 *
 * `--max-sync-entries N` caps log syncs at N entries, so most catch-ups stream in chunks.
 *
 * Its last line is one JSON object: the seeds run, how many failed, and for each feature (fault,
 * check, cluster shape) how many seeds exercised it, e.g.
 * `{"seeds":1000,"failed":0,"seconds":61.2,"features":{"reconfigure":250,...}}`.
 * Exit code 1 when any seed fails. A failing seed replays exactly: `runRandomFaults({ seed })`.
 * The only wall-clock read is for the progress report; the runs themselves never see it.
 */
import { performance } from 'node:perf_hooks';
import { FEATURES, runRandomFaults } from '../src/index.js';

function argValue(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  const raw = eq !== undefined ? eq.slice(name.length + 3) : i >= 0 ? args[i + 1] : undefined;
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer, got ${raw}`);
    process.exit(2);
  }
  return v;
}

const seeds = argValue('seeds', 1000);
const from = argValue('from', 1);
const maxSyncEntries = argValue('max-sync-entries', 0);
const started = performance.now();
const failures: { seed: number; message: string }[] = [];
let nextReport = started + 10_000;
let delivered = 0;
const features: Record<string, number> = Object.fromEntries(FEATURES.map((f) => [f, 0]));
for (let seed = from; seed < from + seeds; seed++) {
  try {
    const result = runRandomFaults(maxSyncEntries > 0 ? { seed, maxSyncEntries } : { seed });
    delivered += result.delivered;
    for (const f of result.features) features[f] = (features[f] ?? 0) + 1;
  } catch (err) {
    const full = err instanceof Error ? err.message : String(err);
    // The message names the failure, the replicas' states and the seed; the trace follows
    // "last events:" and is left out here (replay the seed to see it).
    const cut = full.indexOf('\n  last events:');
    const message = cut >= 0 ? full.slice(0, cut) : full;
    failures.push({ seed, message });
    console.log(`FAIL seed ${seed}: ${message}`);
  }
  const now = performance.now();
  if (now >= nextReport) {
    nextReport = now + 10_000;
    const done = seed - from + 1;
    console.log(`progress: ${done}/${seeds} seeds, ${failures.length} failed, ${((now - started) / 1000).toFixed(0)} s`);
  }
}
const secs = (performance.now() - started) / 1000;
if (failures.length > 0) console.log(`failing seeds: ${failures.map((f) => f.seed).join(' ')}`);
console.log(
  `fuzz: ${seeds} seeds (${from}..${from + seeds - 1}), ${failures.length} failed, ${delivered} messages delivered, ${secs.toFixed(1)} s`,
);
console.log(JSON.stringify({ seeds, failed: failures.length, seconds: Number(secs.toFixed(1)), features }));
process.exitCode = failures.length > 0 ? 1 : 0;
