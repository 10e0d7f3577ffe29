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
