import { readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NodeId } from '@omnipaxos/core';
import type { ReplicaSpec } from './cluster-process.js';
import { type MembershipRecord, latestConfiguration, loadAllMemberships } from './membership-record.js';

/** ResumePlan is how `pnpm start --data DIR` restarts a cluster that ran (and maybe was reconfigured) there. */
export interface ResumePlan {
  configurationId: number;
  nodes: NodeId[];
  specs: ReplicaSpec[];
  /** pid → replication port of every replica the records name. */
  replicationPorts: Record<number, number>;
}

const portOf = (address: string | undefined): number | undefined => {
  const i = address?.lastIndexOf(':') ?? -1;
  const port = i > 0 ? Number(address?.slice(i + 1)) : NaN;
  return Number.isInteger(port) && port > 0 ? port : undefined;
};

/**
 * resumePlan reads the replicas' membership records in `dataDir` and plans the restart of the
 * configuration the cluster last ran (the newest one any record names), each replica on the ports it
 * used. Returns undefined when the folder holds no record (a new cluster); throws with a clear message
 * when a member of that configuration keeps its data elsewhere.
 */
export function resumePlan(dataDir: string, httpPortOf: (pid: NodeId) => number): ResumePlan | undefined {
  const records = loadAllMemberships(dataDir);
  const latest = latestConfiguration(records);
  if (latest === undefined) return undefined;
  const replicationPorts: Record<number, number> = {};
  for (const r of records) {
    for (const [p, a] of Object.entries(r.peers)) {
      const port = portOf(a);
      if (port !== undefined) replicationPorts[Number(p)] = port;
    }
  }
  const byPid = new Map<NodeId, MembershipRecord>(records.map((r) => [r.pid, r]));
  const specs: ReplicaSpec[] = latest.nodes.map((pid) => {
    const r = byPid.get(pid);
    if (r === undefined) {
      throw new Error(
        `replica ${pid} of configuration ${latest.configurationId} {${latest.nodes.join(',')}} keeps its data in another folder ` +
          '(it was started by hand): start it yourself with its own command, or remove it first with `kv member remove`',
      );
    }
    return {
      pid,
      nodes: r.start.nodes,
      configurationId: r.start.configurationId,
      joining: r.start.joining && !r.joined,
      replicationPorts,
      httpPort: portOf(r.http) ?? httpPortOf(pid),
      dataDir,
    };
  });
  return { configurationId: latest.configurationId, nodes: [...latest.nodes], specs, replicationPorts };
}

/**
 * addedReplicaProcesses lists the running replica processes that keep their data in `dataDir` but were
 * not started by this launcher (`kv member add --spawn`), so that stopping the cluster stops them
 * too. A recorded process id counts only while /proc shows it running server.ts for that pid on this
 * data folder (Linux;
 * elsewhere the list is empty and such replicas are stopped by hand).
 */
export function addedReplicaProcesses(dataDir: string, startedHere: ReadonlySet<number>): { pid: NodeId; process: number }[] {
  const out: { pid: NodeId; process: number }[] = [];
  let records: MembershipRecord[];
  try {
    records = loadAllMemberships(dataDir);
  } catch {
    return out;
  }
  for (const r of records) {
    if (r.process === undefined || startedHere.has(r.process)) continue;
    try {
      const args = readFileSync(`/proc/${r.process}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('--pid');
      const data = args[args.indexOf('--data') + 1];
      const sameFolder = data !== undefined && resolve(readlinkSync(`/proc/${r.process}/cwd`), data) === resolve(dataDir);
      if (args.some((a) => a.endsWith('server.ts')) && at >= 0 && args[at + 1] === String(r.pid) && sameFolder) {
        out.push({ pid: r.pid, process: r.process });
      }
    } catch {
      // not running (or no /proc)
    }
  }
  return out;
}
