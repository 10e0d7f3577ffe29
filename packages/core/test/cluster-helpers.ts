import type { NodeId } from '@omnipaxos/core';
import { Cluster, type ClusterOptions } from '@omnipaxos/simulator';

/** ELECTION is the election tick timeout the core tests run with. */
export const ELECTION = 5;

/** startCluster builds a simulated cluster and runs it until every node follows one leader. */
export function startCluster(
  nodes: number | NodeId[],
  seed: number,
  options: Partial<ClusterOptions<string, never>> = {},
): { c: Cluster<string>; leader: NodeId } {
  const c = new Cluster<string>({
    seed,
    nodes,
    ...options,
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION, ...options.serverConfig },
  });
  const leader = waitForStableLeader(c);
  return { c, leader };
}

/** waitForStableLeader ticks until every live node follows the same leader in the Accept phase. */
export function waitForStableLeader(c: Cluster<string>, maxTicks = 40 * ELECTION, not?: NodeId): NodeId {
  c.runUntil(
    () => {
      const l = c.leader();
      if (l === undefined || l === not) return false;
      return c.aliveNodes().every((p) => {
        const cl = c.replica(p).getCurrentLeader();
        return cl?.pid === l && cl.accepted;
      });
    },
    maxTicks,
    'a stable leader',
  );
  return c.leader() as NodeId;
}

/** decideAll proposes each entry at `at` (a node or a chooser) and waits until `on` (default: all live nodes) decided them. */
export function decideAll(
  c: Cluster<string>,
  entries: string[],
  at: NodeId | ((i: number) => NodeId),
  on?: NodeId[],
  maxTicks = 40 * ELECTION,
): void {
  entries.forEach((e, i) => c.propose(typeof at === 'number' ? at : at(i), e));
  c.runUntil(
    () => (on ?? c.aliveNodes()).every((p) => {
      const decided = new Set(c.decidedValues(p));
      return entries.every((e) => decided.has(e));
    }),
    maxTicks,
    `deciding ${entries.length} entries`,
  );
}

/** values returns ["<prefix>0", "<prefix>1", ...]. */
export function values(prefix: string, count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${start + i}`);
}

/** followers lists the live nodes other than the leader. */
export function followers(c: Cluster<string>, leader: NodeId): NodeId[] {
  return c.aliveNodes().filter((p) => p !== leader);
}
