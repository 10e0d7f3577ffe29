import type { NodeId } from '@omnipaxos/core';
import type { Cluster } from './cluster.js';

/** PartialConnectivityScenario names the paper's three partial-connectivity scenarios. */
export type PartialConnectivityScenario = 'quorum-loss' | 'constrained-election' | 'chained';

function pairsExcept<T, S>(c: Cluster<T, S>, keep: (a: NodeId, b: NodeId) => boolean): [NodeId, NodeId][] {
  const out: [NodeId, NodeId][] = [];
  for (const a of c.nodes) for (const b of c.nodes) if (a < b && keep(a, b)) out.push([a, b]);
  return out;
}

/**
 * quorumLoss: every link is cut except those to `hub`, so the leader can reach only the hub and is
 * no longer quorum-connected; `hub` is the only quorum-connected server and must take over (paper,
 * figure 1a). Needs 5 servers; `hub` must not be the leader.
 */
export function applyQuorumLoss<T, S>(c: Cluster<T, S>, hub: NodeId): void {
  c.setConnectivity(pairsExcept(c, (a, b) => a === hub || b === hub));
}

/**
 * constrainedElection: the leader is isolated and every other link is cut except those to `hub`,
 * whose log is behind. The hub is the only quorum-connected server (with the remaining servers)
 * and must be elected even with an outdated log (paper, figure 1b). Make `hub` fall behind first.
 */
export function applyConstrainedElection<T, S>(c: Cluster<T, S>, leader: NodeId, hub: NodeId): void {
  c.setConnectivity(pairsExcept(c, (a, b) => a !== leader && b !== leader && (a === hub || b === hub)));
}

/**
 * chained: with three servers in a chain, the link between the leader and `far` is cut while both
 * keep their link to the middle server. The leader stays quorum-connected and must keep leading;
 * `far` must not keep disrupting it (paper, figure 1c).
 */
export function applyChained<T, S>(c: Cluster<T, S>, leader: NodeId, far: NodeId): void {
  c.cut(leader, far);
}
