import type { ScenarioName } from './scope-model.js';

/** ScenarioPlan is a scenario as links to cut (both directions of each pair) and what it shows. */
export interface ScenarioPlan {
  /** Unordered pairs of replicas whose link is cut both ways; every other link is healed first. */
  cuts: [number, number][];
  description: string;
}

const pairs = (pids: number[]): [number, number][] => pids.flatMap((a, i) => pids.slice(i + 1).map((b): [number, number] => [a, b]));
const within = (group: number[], [a, b]: [number, number]) => group.includes(a) && group.includes(b);

/**
 * scenarioPlan builds one of the paper's partial-connectivity scenarios (OmniPaxos, EuroSys 2023,
 * Fig. 1) on five replicas around the current `leader` (the lowest pid when there is none):
 * - quorum loss: every link is cut except those to one follower, the hub; only the hub is
 *   quorum-connected, so it must take over;
 * - constrained election: the leader and one follower keep only their link to each other; the other
 *   three stay fully connected and one of them must be elected, whatever the logs say;
 * - chained: only the link between the leader and one follower is cut; the cluster keeps its leader
 *   (no livelock of elections) and the cut-off follower keeps up through the others.
 */
export function scenarioPlan(name: ScenarioName, pids: number[], leader: number | null): ScenarioPlan {
  if (pids.length !== 5) throw new Error(`the scenarios need exactly 5 replicas (this cluster has ${pids.length}): start with --nodes 5`);
  const sorted = [...pids].sort((a, b) => a - b);
  const l = leader !== null && sorted.includes(leader) ? leader : (sorted[0] as number);
  const others = sorted.filter((p) => p !== l);
  const a = others[0] as number;
  const all = pairs(sorted);
  switch (name) {
    case 'quorum-loss':
      return {
        cuts: all.filter(([x, y]) => x !== a && y !== a),
        description: `quorum loss: only links to ${a} remain; ${l} loses its quorum and ${a}, the only quorum-connected replica, must lead`,
      };
    case 'constrained-election':
      return {
        cuts: all.filter((p) => !within([l, a], p) && !within(others.slice(1), p)),
        description: `constrained election: ${l} and ${a} can only reach each other; one of ${others.slice(1).join(', ')} must be elected`,
      };
    case 'chained':
      return {
        cuts: [[l, a]],
        description: `chained: the link ${l}–${a} is cut; ${l} should stay leader and ${a} keep up through the others`,
      };
  }
}
