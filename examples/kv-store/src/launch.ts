/**
 * `pnpm start`: launches a 3-replica cluster on loopback as 3 processes (durable storage in a fresh
 * folder ./data/run-<time> per run, or `--data DIR`), prints how to use it, runs a short workload with a
 * progress bar and a summary. Then it keeps serving until Ctrl-C if stdin is a terminal (or with
 * `--serve`); otherwise (CI, pipes, `--exit`) it stops the cluster and exits: 0, or 1 if operations
 * failed. It exits 1 with a message if the cluster cannot start (port in use, a replica failing).
 * Flags: --nodes 3 (1..9; 1 runs a one-replica store) --base-port 7101 --http-base-port 7201 --data DIR --ops 500
 * --seq-ops 100 --serve --exit. `--data DIR` of a cluster that ran there resumes the configuration it last ran
 * (after `kv member add/remove`), from the replicas' membership records, whatever `--nodes` says.
 * --scope-port 7200 (the live web scope, docs/scope.md; 0 picks a free port).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { flags } from './args.js';
import { KvClient } from './client.js';
import { type ReplicaProcess, type ReplicaSpec, spawnReplica } from './cluster-process.js';
import { addedReplicaProcesses, resumePlan } from './launch-plan.js';
import { firstBusyPort, stopReplicas } from './launch-support.js';
import { progressBar, runWorkload, type WorkloadSummary } from './workload.js';
import { startLauncherScope } from './scope/launcher-scope.js';

const USAGE = `usage: pnpm start [flags]   (or examples/kv-store/bin/kv-store.mjs [flags])

Starts a local key-value store cluster (one process per replica, on 127.0.0.1), prints its addresses,
runs a short workload, then serves until Ctrl-C in a terminal; without a terminal (CI, pipes) or with
--exit it stops the cluster and exits: 0, or 1 if operations failed or the cluster could not start.

  --nodes N            replicas, 1..9 (default 3)
  --base-port P        replication ports P, P+1, ... (default 7101)
  --http-base-port P   HTTP ports P, P+1, ... (default 7201)
  --data DIR           keep the data in DIR (relative to your working directory) and resume it next time;
                       default: a fresh data/run-<time> folder per run (the last three are kept)
  --ops N, --seq-ops N operations of the concurrent and the sequential workload (default 500, 100)
  --serve | --exit     keep serving / stop after the workload, whatever stdin is
  --help               this text`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const f = flags(process.argv.slice(2));
const count = Number(f.get('nodes') ?? 3);
const basePort = Number(f.get('base-port') ?? 7101);
const httpBase = Number(f.get('http-base-port') ?? 7201);
const ops = Number(f.get('ops') ?? 500);
const seqOps = Number(f.get('seq-ops') ?? 100);
const serve = !f.has('exit') && (f.has('serve') || process.stdin.isTTY === true);
let nodes = Array.from({ length: count }, (_, i) => i + 1);
let replicationPorts: Record<number, number> = Object.fromEntries(nodes.map((p) => [p, basePort + p - 1]));
/** Set when `--data DIR` holds a cluster that ran before: its current configuration is restarted. */
let resumed: ReturnType<typeof resumePlan>;

/** userDir is the directory the user ran the command in (pnpm runs scripts in the package folder and says where it started in INIT_CWD). */
const userDir = process.env.INIT_CWD ?? process.cwd();

function fail(message: string): never {
  console.error(`kv-store: ${message}`);
  process.exit(1);
}

/** dataFolder picks the data folder: `--data DIR` (reused if it holds the same cluster) or a fresh run folder. */
function dataFolder(): { dir: string; note: string } {
  const marker = { clusterId: 'kv-store', nodes, replicationPorts };
  const explicit = f.get('data');
  if (explicit !== undefined) {
    const dir = resolve(userDir, explicit);
    const file = join(dir, 'cluster.json');
    try {
      resumed = existsSync(dir) ? resumePlan(dir, (pid) => httpBase + pid - 1) : undefined;
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
    if (resumed) {
      const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { clusterId?: unknown }) : marker;
      if (saved.clusterId !== marker.clusterId) fail(`${dir} holds another cluster (${JSON.stringify(saved)}); pass another --data folder or delete it`);
      nodes = resumed.nodes;
      replicationPorts = resumed.replicationPorts;
      // cluster.json follows the membership; the replicas' records are the source of truth.
      writeFileSync(file, JSON.stringify({ clusterId: 'kv-store', nodes, replicationPorts }));
      return { dir, note: `reused: resuming configuration ${resumed.configurationId} = {${nodes.join(',')}} as it was left` };
    }
    if (existsSync(file)) {
      const saved = readFileSync(file, 'utf8');
      if (saved !== JSON.stringify(marker)) {
        fail(`${dir} holds another cluster (${saved.trim()}); pass another --data folder or delete it`);
      }
      mkdirSync(dir, { recursive: true });
      return { dir, note: 'reused: the same cluster resumes from it' };
    }
    if (existsSync(dir) && readdirSync(dir).some((n) => n.endsWith('.sqlite'))) {
      fail(`${dir} holds replica databases of an unknown cluster; pass another --data folder or delete it`);
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(marker));
    return { dir, note: 'new; pass the same --data again to resume this cluster' };
  }
  const root = resolve('data');
  mkdirSync(root, { recursive: true });
  // The last 3 runs' folders are kept: this run's and the 2 before it; older ones are removed.
  const runs = readdirSync(root).filter((n) => n.startsWith('run-')).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - 2))) rmSync(join(root, old), { recursive: true, force: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = join(root, `run-${stamp}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(marker));
  return { dir, note: 'a fresh folder for this run (pass --data DIR to keep and resume a cluster)' };
}

function summaryLine(what: string, s: WorkloadSummary): string {
  return `${what}: ${s.ops} operations (${s.errors} failed) in ${(s.elapsedMs / 1000).toFixed(2)} s, ` +
    `${Math.round((s.ops / s.elapsedMs) * 1000)} ops/s, latency p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms`;
}

if (!Number.isInteger(count) || count < 1 || count > 9) fail('--nodes must be 1..9');
const { dir: dataDir, note } = dataFolder();
const specs: ReplicaSpec[] = resumed?.specs ?? nodes.map((pid) => ({ pid, nodes, replicationPorts, httpPort: httpBase + pid - 1, dataDir }));
const busy = await firstBusyPort(specs.flatMap((s) => [replicationPorts[s.pid] ?? 0, s.httpPort]));
if (busy !== undefined) fail(`port ${busy} on 127.0.0.1 is in use (another kv-store running?); pick others with --base-port / --http-base-port`);
const procs: ReplicaProcess[] = specs.map((s) => spawnReplica(s));
let stopping = false;
let closeScope: (() => Promise<void>) | undefined;
const stopAll = async (code: number): Promise<never> => {
  if (stopping) return new Promise<never>(() => undefined); // a second Ctrl-C: the first one is stopping already
  stopping = true;
  await closeScope?.();
  // Replicas that `kv member add --spawn` started in this data folder are part of the cluster too.
  const added = addedReplicaProcesses(dataDir, new Set(procs.map((p) => p.child.pid ?? -1)));
  for (const a of added) {
    try {
      process.kill(a.process, 'SIGTERM');
      console.log(`stopped replica ${a.pid} (process ${a.process}, added with kv member add --spawn)`);
    } catch {
      // already gone
    }
  }
  await stopReplicas(procs);
  process.exit(code);
};
process.on('SIGINT', () => {
  if (!stopping) console.log('\nstopping the cluster (Ctrl-C) ...');
  void stopAll(0);
});
process.on('SIGTERM', () => void stopAll(0));

console.log(`starting ${specs.length} ${specs.length === 1 ? 'replica' : 'replicas'}; data in ${relative(userDir, dataDir) || '.'} (${note}) ...`);
const infos = await Promise.all(procs.map((p) => p.readyInfo)).catch(async (err: unknown) => {
  console.error(`kv-store: the cluster did not start: ${err instanceof Error ? err.message : String(err)}`);
  return stopAll(1);
});
const urls = infos.map((i) => i.httpUrl);
for (const p of procs) {
  void p.exited.then((code) => {
    if (!stopping) console.error(`replica ${p.pid} exited (${code ?? 'signal'})`);
  });
}
const clients = urls.map((u) => new KvClient(u));
let leader: number | null = null;
for (let i = 0; i < 600 && leader === null; i++) {
  leader = (await clients[0]?.status().catch(() => undefined))?.leader ?? null;
  if (leader === null) await new Promise((r) => setTimeout(r, 50));
}
if (leader === null) {
  console.error('kv-store: no leader was elected within 30 s');
  await stopAll(1);
}
const scope = await startLauncherScope(procs, specs, urls, Number(f.get('scope-port') ?? 7200));
closeScope = scope.scope?.close;
const serverCmd = (s: ReplicaSpec) =>
  `pnpm --filter @omnipaxos/example-kv-store server --pid ${s.pid} --nodes ${s.nodes.join(',')} --peers ${[...new Set([...s.nodes, ...nodes])].map((p) => `${p}=127.0.0.1:${replicationPorts[p]}`).join(',')} --http 127.0.0.1:${s.httpPort} --data ${resolve(dataDir)}${s.configurationId !== undefined && s.configurationId !== 1 ? ` --config-id ${s.configurationId}` : ''}${s.joining === true ? ' --join' : ''}`;
const urlAt = (i: number): string => urls[i % urls.length] ?? '';
/** A follower's index in `specs` (the leader's own when there is no other replica). */
const followerAt = Math.max(0, specs.findIndex((s) => s.pid !== leader));
const leaderAt = Math.max(0, specs.findIndex((s) => s.pid === leader));
console.log(`\ncluster up, leader ${leader}:`);
for (const [i, s] of specs.entries()) {
  const info = infos[i];
  console.log(`  replica ${s.pid}${s.pid === leader ? ' (leader)' : ''}: HTTP ${info?.httpUrl ?? '?'}, native client ${info ? `${info.clientHost}:${info.clientPort}` : '?'}, process ${procs[i]?.child.pid}`);
}
console.log('no authentication: every port listens on 127.0.0.1 only (a replica listening elsewhere without --users warns loudly; see docs/security.md)');
console.log(scope.line);
console.log(`
try it:
  curl -X PUT ${urlAt(followerAt)}/kv/greeting -d '{"value":"hello"}'     # a write${urls.length > 1 ? ` through a follower (replica ${specs[followerAt]?.pid})` : ''}
  curl ${urlAt(leaderAt)}/kv/greeting                                   # a linearizable read (through the log)
  curl -X POST ${urlAt(0)}/kv/greeting/cas -d '{"expected":"hello","value":"hi"}'
  curl ${urlAt(0)}/status                                        # leader, ballot, decided index, links, addresses
  pnpm kv get greeting                                          # the CLI (put, get, delete, cas, status)
  pnpm kv member list                                           # the membership (add <pid>=<host:port>, remove <pid>)
  kill -9 ${procs[0]?.child.pid}   # ${urls.length > 2 ? 'the others keep serving; ' : ''}restart replica ${specs[0]?.pid ?? 1} to catch up with:
  ${specs[0] ? serverCmd(specs[0]) : ''}
`);

const draw = (label: string, total: number) => {
  let lastDraw = 0;
  return (done: number, errors: number) => {
    const now = performance.now();
    if (now - lastDraw < 50 && done < total) return;
    lastDraw = now;
    const line = `${label} ${progressBar(done, total)}${errors > 0 ? ` (${errors} errors)` : ''}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
    else if (done === total) console.log(line);
  };
};
const concurrent = await runWorkload(clients, ops, draw('concurrent (8 clients) ', ops), 8, 1);
if (process.stdout.isTTY) process.stdout.write('\n');
// Sequential after the concurrent run: the processes are warm (JIT), so this is the steady-state cost.
const sequential = await runWorkload(clients, seqOps, draw('sequential (1 client)  ', seqOps), 1, 7);
if (process.stdout.isTTY) process.stdout.write('\n');
const statuses = await Promise.all(clients.map((c) => c.status().catch(() => undefined)));
console.log(summaryLine('summary, 8 concurrent ', concurrent));
console.log(summaryLine('summary, sequential   ', sequential));
console.log(`decided index per replica: ${statuses.map((s, i) => `${nodes[i]}: ${s?.decidedIdx ?? 'down'}`).join(', ')}; leader ${statuses[0]?.leader ?? '?'}`);
const failed = sequential.errors + concurrent.errors;
if (!serve) {
  const why = f.has('exit') ? '--exit' : 'not interactive (stdin is not a terminal)';
  console.log(`${why}: stopping the cluster; \`pnpm start --serve\` keeps it running`);
  await stopAll(failed === 0 ? 0 : 1);
}
console.log('serving; Ctrl-C stops the cluster');
