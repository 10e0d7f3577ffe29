import { type ReplicaProcess, type ReplicaReadyInfo, type ReplicaSpec, spawnReplica } from '../cluster-process.js';
import { type ProcessControl, type Scope, startScope } from './scope-server.js';

/**
 * launcherControl lets the scope SIGKILL and restart the replica processes in `procs` (started from
 * `specs`); a restarted process listens where it did before and replaces its entry in `procs`, so
 * whoever stops `procs` stops it too.
 */
export function launcherControl(procs: ReplicaProcess[], specs: ReplicaSpec[]): ProcessControl {
  const info = new Map<number, ReplicaReadyInfo>();
  const track = (p: ReplicaProcess) => void p.readyInfo.then((i) => info.set(p.pid, i), () => undefined);
  procs.forEach(track);
  const find = (pid: number) => procs.find((p) => p.pid === pid);
  const alive = (p: ReplicaProcess | undefined) => p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  return {
    controls: (pid) => specs.some((s) => s.pid === pid),
    running: (pid) => alive(find(pid)),
    clientAddress: (pid) => {
      const i = alive(find(pid)) ? info.get(pid) : undefined;
      return i && { host: i.clientHost, port: i.clientPort };
    },
    kill: (pid) => {
      const p = find(pid);
      if (!alive(p)) throw new Error(`replica ${pid} is not running`);
      p?.child.kill('SIGKILL');
    },
    restart: async (pid) => {
      const spec = specs.find((s) => s.pid === pid);
      if (spec === undefined) throw new Error(`replica ${pid} was not started here`);
      if (alive(find(pid))) throw new Error(`replica ${pid} is running; kill it first`);
      // The same addresses as before (a spec may say port 0: any free port), so watchers and clients find it again.
      const was = info.get(pid);
      const httpPort = was ? Number(new URL(was.httpUrl).port) : spec.httpPort;
      const p = spawnReplica({ ...spec, httpPort, ...(was ? { clientPort: was.clientPort } : {}) });
      const i = procs.findIndex((q) => q.pid === pid);
      if (i >= 0) procs[i] = p;
      else procs.push(p);
      track(p);
      await p.ready;
    },
  };
}

/** startLauncherScope serves the scope for the launcher's cluster on 127.0.0.1:`port`; `line` says where (or why not). */
export async function startLauncherScope(procs: ReplicaProcess[], specs: ReplicaSpec[], urls: string[], port: number): Promise<{ line: string; scope?: Scope }> {
  try {
    const scope = await startScope({
      targets: specs.map((s, i) => ({ pid: s.pid, url: urls[i] ?? `http://127.0.0.1:${s.httpPort}` })),
      control: launcherControl(procs, specs),
      port,
    });
    return { line: `scope (live web view: links, leader, kill/restart, scenarios): ${scope.url}`, scope };
  } catch (err) {
    return { line: `the scope did not start (${err instanceof Error ? err.message : String(err)}); pick another port with --scope-port` };
  }
}
