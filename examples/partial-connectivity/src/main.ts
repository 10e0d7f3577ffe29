/**
 * The paper's three partial-connectivity scenarios (Ng, Haridi, Carbone, EuroSys 2023, figure 1), each
 * run on the deterministic simulator: a 5-server quorum loss, a 5-server constrained election and a
 * 3-server chain. For each it prints who leads before the fault, which links stay up, who leads after,
 * and how long the log could not decide, in election timeouts. Raft stalls or livelocks in all three.
 */
import type { NodeId } from '@omnipaxos/core';
import { Cluster, applyChained, applyConstrainedElection, applyQuorumLoss } from '@omnipaxos/simulator';

const ELECTION = 10; // ticks per election timeout (heartbeat round)

function start(nodes: number, seed: number): { c: Cluster<string>; leader: NodeId } {
  const c = new Cluster<string>({ seed, nodes, serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION } });
  c.runUntil(() => c.leader() !== undefined && c.nodes.every((p) => c.replica(p).getCurrentLeader()?.accepted), 50 * ELECTION, 'a leader');
  return { c, leader: c.leader() as NodeId };
}

/** recover proposes one entry per tick at `at` until one proposed after the fault is decided there. */
function recover(c: Cluster<string>, at: NodeId, label: string): number {
  const faultAt = c.now;
  let n = 0;
  c.runUntil(
    () => {
      c.propose(at, `${label}-${n++}`);
      return c.decidedValues(at).some((v) => v.startsWith(`${label}-`));
    },
    60 * ELECTION,
    `${label}: a decision after the fault`,
  );
  return (c.now - faultAt) / ELECTION;
}

function links(c: Cluster<string>): string {
  const up: string[] = [];
  for (const a of c.nodes) for (const b of c.nodes) if (a < b && c.links.isUp(a, b)) up.push(`${a}-${b}`);
  return up.join(' ');
}

function scenario(title: string, explain: string, run: () => { c: Cluster<string>; before: NodeId; at: NodeId; label: string }): void {
  console.log(`\n${title}\n  ${explain}`);
  const { c, before, at, label } = run();
  console.log(`  links up after the fault: ${links(c)}`);
  const downtime = recover(c, at, label);
  const after = c.leader();
  console.log(`  leader before: ${before}, after: ${after}; first decision after the fault in ${downtime.toFixed(1)} election timeouts`);
  console.log(`  decided log at server ${at}: ${c.decidedValues(at).length} entries, the last ${c.decidedValues(at).at(-1)}`);
}

scenario(
  'Quorum loss (5 servers)',
  'Every link fails except those of one server C. The leader can reach only C; C is the only quorum-connected server and takes over.',
  () => {
    const { c, leader } = start(5, 1);
    c.propose(leader, 'before-0');
    c.stabilize();
    const hub = c.nodes.find((p) => p !== leader) as NodeId;
    applyQuorumLoss(c, hub);
    return { c, before: leader, at: hub, label: 'ql' };
  },
);

scenario(
  'Constrained election (5 servers)',
  'The leader is cut off; the only quorum-connected server missed the last entries. OmniPaxos elects it anyway and syncs the logs afterwards.',
  () => {
    const { c, leader } = start(5, 2);
    const hub = c.nodes.find((p) => p !== leader) as NodeId;
    for (const p of c.nodes) if (p !== hub) c.cut(hub, p);
    for (let i = 0; i < 3; i++) c.propose(leader, `missed-by-hub-${i}`);
    c.stabilize();
    c.healAll();
    applyConstrainedElection(c, leader, hub);
    return { c, before: leader, at: hub, label: 'ce' };
  },
);

scenario(
  'Chained (3 servers)',
  'The link between the leader and one follower fails. That follower would keep starting elections in Raft; here the leader, still quorum-connected through the middle server, keeps leading.',
  () => {
    const { c, leader } = start(3, 3);
    const far = c.nodes.find((p) => p !== leader) as NodeId;
    applyChained(c, leader, far);
    return { c, before: leader, at: leader, label: 'ch' };
  },
);
console.log('\nMeasured over many seeds: pnpm bench:partial (docs/benchmarks.md).');
