/**
 * `pnpm start`: launches a 3-replica cluster on loopback as 3 processes (durable storage in ./data),
 * prints how to use it, runs a short workload with a progress bar and a summary, then keeps serving
 * until Ctrl-C. Flags: --nodes 3 --base-port 7101 --http-base-port 7201 --data ./data --ops 500 --exit
 */
import { resolve } from 'node:path';
import { flags } from './args.js';
import { KvClient } from './client.js';
import { type ReplicaProcess, spawnReplica } from './cluster-process.js';
import { progressBar, runWorkload } from './workload.js';

const f = flags(process.argv.slice(2));
const count = Number(f.get('nodes') ?? 3);
const basePort = Number(f.get('base-port') ?? 7101);
const httpBase = Number(f.get('http-base-port') ?? 7201);
const dataDir = resolve(f.get('data') ?? 'data');
const ops = Number(f.get('ops') ?? 500);
const nodes = Array.from({ length: count }, (_, i) => i + 1);
const replicationPorts: Record<number, number> = Object.fromEntries(nodes.map((p) => [p, basePort + p - 1]));

const procs: ReplicaProcess[] = nodes.map((pid) => spawnReplica({ pid, nodes, replicationPorts, httpPort: httpBase + pid - 1, dataDir }));
const stopAll = (): void => {
  for (const p of procs) p.child.kill('SIGTERM');
};
process.on('SIGINT', () => {
  stopAll();
  process.exit(0);
});

console.log(`starting ${count} replicas (data in ${dataDir}) ...`);
const urls = await Promise.all(procs.map((p) => p.ready)).catch((err: unknown) => {
  console.error(String(err));
  stopAll();
  process.exit(1);
});
const clients = urls.map((u) => new KvClient(u));
let leader: number | null = null;
for (let i = 0; i < 600 && leader === null; i++) {
  leader = (await clients[0]?.status().catch(() => undefined))?.leader ?? null;
  if (leader === null) await new Promise((r) => setTimeout(r, 50));
}
console.log(`\ncluster up: ${nodes.map((p, i) => `replica ${p} at ${urls[i]} (pid ${procs[i]?.child.pid})`).join(', ')}; leader ${leader}`);
console.log(`
try it:
  curl -X PUT ${urls[1]}/kv/greeting -d '{"value":"hello"}'     # a write through a follower
  curl ${urls[2]}/kv/greeting                                   # a linearizable read (through the log)
  curl -X POST ${urls[0]}/kv/greeting/cas -d '{"expected":"hello","value":"hi"}'
  curl ${urls[0]}/status                                        # leader, decided index, links
  pnpm --filter @omnipaxos/example-kv-store kv get greeting
  kill -9 <a replica's pid>   # the others keep serving; restart it with the same flags to catch up
`);

let lastDraw = 0;
const summary = await runWorkload(clients, ops, (done, errors) => {
  const now = performance.now();
  if (now - lastDraw < 50 && done < ops) return;
  lastDraw = now;
  const line = `workload ${progressBar(done, ops)}${errors > 0 ? ` (${errors} errors)` : ''}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else if (done === ops || done % 100 === 0) console.log(line);
});
if (process.stdout.isTTY) process.stdout.write('\n');
const statuses = await Promise.all(clients.map((c) => c.status().catch(() => undefined)));
console.log(
  `summary: ${summary.ops} operations (${summary.errors} failed) in ${(summary.elapsedMs / 1000).toFixed(2)} s, ` +
    `${Math.round((summary.ops / summary.elapsedMs) * 1000)} ops/s, latency p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms`,
);
console.log(`decided index per replica: ${statuses.map((s, i) => `${nodes[i]}: ${s?.decidedIdx ?? 'down'}`).join(', ')}; leader ${statuses[0]?.leader ?? '?'}`);
if (f.has('exit')) {
  stopAll();
  await Promise.all(procs.map((p) => p.exited));
  process.exit(summary.errors === 0 ? 0 : 1);
}
console.log('serving; Ctrl-C stops the cluster');
